namespace Perf.Invoker.Json;

/// <summary>
/// Marks a top-level partial type whose JSON reader and writer the Perf.Invoker source generator emits.
/// Its JSON members are its public instance properties with an <c>init</c> or <c>set</c> accessor, in
/// declaration order: <c>required</c> ones must be present on read; nullable ones are optional and are
/// omitted on write when null (docs/openwhisk.md §2); the rest are optional on read and always written.
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Struct, Inherited = false)]
public sealed class JsonModelAttribute : Attribute;

/// <summary>Names a member's JSON property; by default it is the property name in camelCase.</summary>
[AttributeUsage(AttributeTargets.Property, Inherited = false)]
public sealed class JsonMemberAttribute(string name) : Attribute
{
    public string Name { get; } = name;
}

/// <summary>
/// Reads a string member (or the elements of a string array) through <see cref="JsonStringPool"/>: for
/// values that recur on every message (namespaces, action names, keys), so steady traffic reads them
/// without allocating.
/// </summary>
[AttributeUsage(AttributeTargets.Property, Inherited = false)]
public sealed class JsonInternAttribute : Attribute;
