using System.Security.Cryptography;
using System.Text;
using Perf.Invoker.Json;

namespace Perf.Invoker.Model;

/// <summary>
/// An action as the invoker runs it: its name, code and limits with OpenWhisk's defaults filled in.
/// Made once per action version (the store caches it), so that per-activation work reads fields only.
/// </summary>
public sealed class ExecutableAction
{
    /// <summary>OpenWhisk's default limits: 60 s, 256 MB, 10 MB of logs, concurrency 1.</summary>
    public const int DefaultTimeoutMillis = 60_000;
    public const int DefaultMemoryMegabytes = 256;
    public const int DefaultLogsMegabytes = 10;

    /// <summary>
    /// OpenWhisk's smallest action memory (its MemoryLimit min, 128 MB): a fact of an action, so it sits with the
    /// default limits here, in the model every host folder already uses. The API's validation (Host.Standalone) and the
    /// engine's memory setting (Host.Engine) both read it from here, so neither depends on the other for it.
    /// </summary>
    public const int MinMemoryMegabytes = 128;

    /// <param name="version">The action's version when the store numbers them (OpenWhisk bumps it on every update); else the spec's, else 0.0.1.</param>
    public ExecutableAction(string @namespace, string name, ActionSpec spec, string? version = null)
    {
        Namespace = @namespace;
        Name = name;
        Spec = spec;
        Version = version ?? spec.Version ?? "0.0.1";
        Kind = spec.Exec.Kind;
        Code = spec.Exec.Code ?? string.Empty;
        Main = spec.Exec.Main ?? "main";
        Binary = spec.Exec.Binary ?? false;
        TimeoutMillis = spec.Limits?.Timeout ?? DefaultTimeoutMillis;
        MemoryMegabytes = spec.Limits?.Memory ?? DefaultMemoryMegabytes;
        LogsMegabytes = spec.Limits?.Logs ?? DefaultLogsMegabytes;
        Concurrency = spec.Concurrency;
        ProvideApiKey = !HasAnnotation(spec, "provide-api-key", "false"u8);
        Path = $"{@namespace}/{name}";
        ActionName = $"/{Path}";
        ExecDigest = Digest(spec.Exec);
        RecordAnnotations =
        [
            new() { Key = "limits", Value = RawJson.FromTrusted(JsonModel.ToUtf8Bytes(new ActionLimits { Timeout = TimeoutMillis, Memory = MemoryMegabytes, Logs = LogsMegabytes, Concurrency = Concurrency })) },
            new() { Key = "path", Value = RawJson.FromString(Path) },
            new() { Key = "kind", Value = RawJson.FromString(Kind) },
        ];
    }

    /// <summary>The namespace the action lives in (with its package: <c>guest/pkg</c>).</summary>
    public string Namespace { get; }

    public string Name { get; }

    /// <summary><c>namespace/name</c>, the <c>path</c> annotation.</summary>
    public string Path { get; }

    /// <summary><c>/namespace/name</c>, the /run body's <c>action_name</c>.</summary>
    public string ActionName { get; }

    public string Version { get; }

    public ActionSpec Spec { get; }

    public string Kind { get; }

    public string Code { get; }

    public string Main { get; }

    public bool Binary { get; }

    public int TimeoutMillis { get; }

    public TimeSpan Timeout => TimeSpan.FromMilliseconds(TimeoutMillis);

    public int MemoryMegabytes { get; }

    public int LogsMegabytes { get; }

    public int Concurrency { get; }

    /// <summary>False when the action has the annotation <c>provide-api-key: false</c> (docs/openwhisk.md §5).</summary>
    public bool ProvideApiKey { get; }

    /// <summary>
    /// Identifies what runs (kind, main, code, image), not the document revision: containers are shared
    /// across revisions of an otherwise equal action (docs/openwhisk.md §6).
    /// </summary>
    public string ExecDigest { get; }

    /// <summary>
    /// The annotations every record of this action carries (docs/openwhisk.md §4): <c>limits</c>
    /// <c>{"timeout":…,"memory":…,"logs":…,"concurrency":…}</c>, <c>path</c> and <c>kind</c>. Made once
    /// per action version, not per activation.
    /// </summary>
    public Parameter[] RecordAnnotations { get; }

    private static bool HasAnnotation(ActionSpec spec, string key, ReadOnlySpan<byte> value)
    {
        foreach (Parameter annotation in spec.Annotations ?? [])
        {
            if (annotation.Key == key)
            {
                return annotation.Value.Utf8.Span.SequenceEqual(value);
            }
        }

        return false;
    }

    private static string Digest(ActionExec exec)
    {
        string text = $"{exec.Kind}\n{exec.Main}\n{exec.Binary}\n{exec.Image}\n{exec.Code}";
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
    }
}
