using Perf.Invoker.Json;
using Perf.Invoker.Model;

namespace Perf.Invoker.Host.Standalone;

/// <summary>
/// The body of <c>PUT …/actions/NAME</c> as OpenWhisk reads it (WhiskActionPut): every member optional, so that an
/// update may name only what changes (<c>ow.actions.update({name, params})</c>).
/// </summary>
[JsonModel]
internal sealed partial class ActionPutDocument
{
    public ActionExec? Exec { get; init; }

    public ActionLimits? Limits { get; init; }

    public Parameter[]? Parameters { get; init; }

    public Parameter[]? Annotations { get; init; }

    public bool? Publish { get; init; }

    [JsonIntern]
    public string? Version { get; init; }
}

/// <summary>
/// What a PUT stores, made as OpenWhisk's controller makes it (Actions.scala <c>make</c> and <c>updateWhiskAction</c>):
/// an update keeps whatever the request leaves out (exec, each limit on its own, parameters, annotations, publish);
/// <c>exec.binary</c> is always computed from the code (Exec.isBinaryCode), whatever the request says; and the
/// annotation <c>exec</c> carries the kind.
/// </summary>
internal static class ActionUpdate
{
    private static readonly System.Buffers.SearchValues<char> s_base64 =
        System.Buffers.SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/");

    /// <summary>The action to store, or null when there is nothing to store it from (a create without exec: 400).</summary>
    public static ActionSpec? Apply(ActionPutDocument put, ActionSpec? existing)
    {
        ActionExec? exec = put.Exec ?? existing?.Exec;
        if (exec is null)
        {
            return null;
        }

        ActionLimits? old = existing?.Limits;
        ActionLimits? limits = put.Limits is not { } given ? old : new ActionLimits
        {
            Timeout = given.Timeout ?? old?.Timeout,
            Memory = given.Memory ?? old?.Memory,
            Logs = given.Logs ?? old?.Logs,
            Concurrency = given.Concurrency ?? old?.Concurrency,
        };
        // OpenWhisk stores the kind a family's default names (nodejs:default is stored as nodejs:20).
        exec = Resolved(exec);
        return new ActionSpec
        {
            Exec = exec,
            Limits = limits,
            Parameters = put.Parameters ?? existing?.Parameters,
            Annotations = WithExecAnnotation(put.Annotations ?? existing?.Annotations, exec.Kind),
            Publish = put.Publish ?? existing?.Publish,
            // The store numbers versions by revision; a version the request sets is kept, as OpenWhisk keeps it.
            Version = put.Version,
        };
    }

    /// <summary>
    /// OpenWhisk's Exec.isBinaryCode: the trimmed code, not empty, a multiple of 4 long and all base64 (its regular
    /// expression: the alphabet, then at most two '=' at the end). A loop, as the code may be 48 MiB.
    /// </summary>
    public static bool IsBinaryCode(string? code)
    {
        ReadOnlySpan<char> trimmed = (code ?? string.Empty).AsSpan().Trim();
        if (trimmed.Length == 0 || trimmed.Length % 4 != 0)
        {
            return false;
        }

        int padding = trimmed[^1] != '=' ? 0 : trimmed[^2] == '=' ? 2 : 1;
        return !trimmed[..^padding].ContainsAnyExcept(s_base64);
    }

    private static ActionExec Resolved(ActionExec exec) => exec.Code is null ? exec : new ActionExec
    {
        Kind = RuntimeManifest.Local.ResolveKind(exec.Kind) ?? exec.Kind,
        Code = exec.Code,
        Main = exec.Main,
        Binary = IsBinaryCode(exec.Code),
        Image = exec.Image,
    };

    private static Parameter[] WithExecAnnotation(Parameter[]? annotations, string kind)
    {
        Parameter exec = new() { Key = "exec", Value = RawJson.FromString(kind) };
        return [.. (annotations ?? []).Where(a => a.Key != "exec"), exec];
    }
}
