using Perf.Invoker.Json;
using Perf.Invoker.Model;

namespace Perf.Invoker.Host.Standalone;

/// <summary>
/// What a sequence (<c>exec.kind: "sequence"</c>) must satisfy before it is stored, as OpenWhisk's controller checks it
/// (Actions.scala, checkSequenceActionLimits): fully qualified components of the caller's own namespace, at least one, at
/// most <see cref="SequenceRunner.MaxLength"/> atomic actions once inner sequences are inlined, every one existing, and
/// none of them the sequence itself.
/// </summary>
internal static class SequenceValidation
{
    public const string TooLong = "Too many actions in the sequence.";
    public const string NoComponent = "No component specified for the sequence.";
    public const string Cyclic = "Sequence may not refer to itself.";
    public const string ComponentNotFound = "Sequence component does not exist.";

    /// <summary>
    /// The spec to store, as OpenWhisk stores a sequence: components fully qualified (<c>_</c> resolved), the
    /// <c>_actions</c> parameter listing them and the <c>exec</c> annotation; or the status and error to answer.
    /// </summary>
    public static async ValueTask<(ActionSpec? Spec, int Status, string? Error)> CheckAsync(
        QualifiedActions resolver, string @namespace, string name, ActionSpec spec, CancellationToken cancellationToken)
    {
        if (spec.Exec.Components is not { } components)
        {
            return (null, StatusCodes.Status400BadRequest, ApiErrors.Malformed("'components' must be defined for sequence kind"));
        }

        var resolved = new EntityName[components.Length];
        for (int i = 0; i < components.Length; i++)
        {
            if (QualifiedActions.Parse(components[i], @namespace) is not { } component)
            {
                return (null, StatusCodes.Status400BadRequest, ApiErrors.Malformed(QualifiedActions.MalformedName));
            }

            // Another namespace's actions are not the caller's to read (entitlement, before anything is looked up).
            if (component.Namespace != @namespace)
            {
                return (null, StatusCodes.Status403Forbidden, ApiErrors.Forbidden);
            }

            resolved[i] = component;
        }

        if (resolved.Length > SequenceRunner.MaxLength)
        {
            return (null, StatusCodes.Status400BadRequest, TooLong);
        }

        if (resolved.Length == 0)
        {
            return (null, StatusCodes.Status400BadRequest, NoComponent);
        }

        var self = new EntityName(@namespace, null, name);
        int count = await CountAtomicAsync(resolver, self, resolved, cancellationToken);
        if (count < 0)
        {
            return (null, StatusCodes.Status400BadRequest, count == CycleFound ? Cyclic : ComponentNotFound);
        }

        if (count > SequenceRunner.MaxLength)
        {
            return (null, StatusCodes.Status400BadRequest, TooLong);
        }

        string[] qualified = Array.ConvertAll(resolved, component => component.ToString());
        return (new ActionSpec
        {
            Exec = new ActionExec { Kind = SequenceRunner.Kind, Components = qualified },
            Limits = spec.Limits,
            Parameters = [new() { Key = "_actions", Value = ComponentsJson(qualified) }],
            Annotations = [.. (spec.Annotations ?? []).Where(annotation => annotation.Key != "exec"), new() { Key = "exec", Value = RawJson.FromString(SequenceRunner.Kind) }],
            Publish = spec.Publish,
            Version = spec.Version,
        }, StatusCodes.Status200OK, null);
    }

    private const int CycleFound = -1;
    private const int Missing = -2;

    /// <summary>The atomic actions of <paramref name="components"/>, inner sequences inlined; negative for a cycle or a missing component.</summary>
    private static async ValueTask<int> CountAtomicAsync(QualifiedActions resolver, EntityName self, EntityName[] components, CancellationToken cancellationToken)
    {
        int count = 0;
        foreach (EntityName component in components)
        {
            if (component.Namespace == self.Namespace && component.StoreName == self.StoreName)
            {
                return CycleFound;
            }

            if (await resolver.FindAsync(component, cancellationToken) is not { Action: { } action })
            {
                return Missing;
            }

            if (!SequenceRunner.IsSequence(action.Spec))
            {
                count++;
            }
            else
            {
                EntityName[] inner = Array.ConvertAll(action.Spec.Exec.Components ?? [], c => QualifiedActions.Parse(c, component.Namespace)!);
                int innerCount = await CountAtomicAsync(resolver, self, inner, cancellationToken);
                if (innerCount < 0)
                {
                    return innerCount;
                }

                count += innerCount;
            }

            if (count > SequenceRunner.MaxLength)
            {
                return count;
            }
        }

        return count;
    }

    private static RawJson ComponentsJson(string[] components)
    {
        var output = new System.Buffers.ArrayBufferWriter<byte>();
        var writer = new JsonWriter(output);
        writer.WriteByte((byte)'[');
        for (int i = 0; i < components.Length; i++)
        {
            if (i > 0)
            {
                writer.WriteByte((byte)',');
            }

            writer.WriteString(components[i]);
        }

        writer.WriteByte((byte)']');
        writer.Flush();
        return RawJson.FromTrusted(output.WrittenMemory);
    }
}
