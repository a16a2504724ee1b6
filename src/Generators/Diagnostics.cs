using Microsoft.CodeAnalysis;

namespace Perf.Invoker.Generators;

internal static class Diagnostics
{
    private const string Category = "Perf.Invoker.Json";

    public const string UnsupportedMemberTypeId = "PIJ001";
    public const string NotPartialId = "PIJ002";
    public const string NestedTypeId = "PIJ003";
    public const string TooManyMembersId = "PIJ004";

    public static readonly DiagnosticDescriptor UnsupportedMemberType = new(
        UnsupportedMemberTypeId,
        "Unsupported JSON member type",
        "Member '{0}' has type '{1}', which [JsonModel] cannot read or write; use string, bool, int, long, double, RawJson, a [JsonModel] type, an IJsonValue<T> type, an array of one of these, or Nullable of a value type",
        Category,
        DiagnosticSeverity.Error,
        isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor NotPartial = new(
        NotPartialId,
        "JSON model type must be partial",
        "Type '{0}' is marked [JsonModel] but is not partial, so its reader and writer cannot be generated",
        Category,
        DiagnosticSeverity.Error,
        isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor NestedType = new(
        NestedTypeId,
        "JSON model type must be top-level",
        "Type '{0}' is marked [JsonModel] but is nested in another type; declare it at namespace level",
        Category,
        DiagnosticSeverity.Error,
        isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor TooManyMembers = new(
        TooManyMembersId,
        "Too many JSON members",
        "Type '{0}' has {1} JSON members; [JsonModel] supports at most 64",
        Category,
        DiagnosticSeverity.Error,
        isEnabledByDefault: true);
}
