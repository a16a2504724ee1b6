using Perf.Invoker.Invocation;
using Perf.Invoker.Store;

namespace Perf.Invoker.Host.Engine;

/// <summary>A mode's own action source and record store in place of the data directory's SQLite ones (docs/cluster.md).</summary>
internal sealed record ActivationRecords(IActionSource Actions, IActivationStore Store, INamespaceBlacklist? Blacklist);
