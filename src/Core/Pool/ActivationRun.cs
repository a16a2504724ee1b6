using Perf.Invoker.ActionProtocol;

namespace Perf.Invoker.Pool;

/// <summary>What the pool produced for one activation.</summary>
public readonly record struct ActivationRun(
    ActionResponse Response,
    DateTimeOffset Start,
    DateTimeOffset End,
    long? InitMillis,
    string[] Logs,
    bool TimedOut,
    ContainerProxy? Container);
