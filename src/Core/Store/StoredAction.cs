using Perf.Invoker.Model;

namespace Perf.Invoker.Store;

/// <summary>An action document as stored: its spec, where it lives, and its revision.</summary>
public sealed class StoredAction
{
    /// <summary>Built on first use; one per (namespace, name, revision) because a stored action never changes.</summary>
    private ExecutableAction? _executable;

    public StoredAction(string @namespace, string name, long revision, ActionSpec spec)
    {
        Namespace = @namespace;
        Name = name;
        Revision = revision;
        Spec = spec;
    }

    public string Namespace { get; }

    public string Name { get; }

    /// <summary>1 when created, one more on every overwrite.</summary>
    public long Revision { get; }

    public ActionSpec Spec { get; }

    /// <summary>OpenWhisk's semantic version of this revision: 0.0.1 when created, 0.0.2 after the first update, …</summary>
    public string Version => Spec.Version ?? $"0.0.{Revision}";

    /// <summary>The action as the invoker runs it, made once for this revision.</summary>
    public ExecutableAction Executable => _executable ??= new ExecutableAction(Namespace, Name, Spec, Version);
}
