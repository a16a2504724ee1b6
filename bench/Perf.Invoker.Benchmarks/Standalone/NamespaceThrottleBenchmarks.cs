using BenchmarkDotNet.Attributes;
using Perf.Invoker.Acknowledgements;
using Perf.Invoker.Host.Standalone;
using Perf.Invoker.Model;

namespace Perf.Invoker.Benchmarks.Standalone;

/// <summary>
/// The per-namespace throttle on the invoke path (docs/standalone.md, "Limits"): the admission every invoke pays (the
/// minute's count, then a slot of the namespace), a refusal (the 429 path, whose message is the one allocation), and
/// the hand-over of a slot to an activation until its completion (one dictionary entry).
/// </summary>
/// <remarks>Not sealed: BenchmarkDotNet's toolchains emit a type that derives from the benchmark class.</remarks>
[MemoryDiagnoser]
public class NamespaceThrottleBenchmarks
{
    private static readonly ControllerInstanceId s_controller = new() { AsString = "standalone" };

    private NamespaceThrottle _open = null!;
    private NamespaceThrottle _full = null!;
    private CompletionMessage _completion = null!;

    [GlobalSetup]
    public void Setup()
    {
        var limits = new NamespaceLimits(ConcurrentInvocations: 1_000_000, InvocationsPerMinute: int.MaxValue, FiresPerMinute: 60);
        _open = new NamespaceThrottle(["guest", "other"], limits, new Dictionary<string, NamespaceLimits>(), new InFlightActivations(new ActivationWaiters()));
        _full = new NamespaceThrottle(["guest"], limits with { ConcurrentInvocations = 0 }, new Dictionary<string, NamespaceLimits>(), new InFlightActivations(new ActivationWaiters()));
        _completion = new CompletionMessage
        {
            Transid = new TransactionId { Id = "bench", StartMillis = 0 },
            ActivationId = ActivationId.NewId(),
            Instance = new InvokerInstanceId { Instance = 0, UniqueName = "standalone", DisplayedName = "standalone", UserMemory = ByteSize.FromMegabytes(2048) },
        };
    }

    /// <summary>What an admitted invoke pays to be checked: the rate, then the slot; released at once here.</summary>
    [Benchmark(Baseline = true)]
    public void Admit_and_release() => _open.TryAdmit("guest", out _)!.Release();

    /// <summary>A flooding namespace's refused request: the checks and OpenWhisk's message.</summary>
    [Benchmark]
    public string? Refuse() => _full.TryAdmit("guest", out string? refusal) is null ? refusal : null;

    /// <summary>An admitted activation's slot held until its completion ack: track, then the ack releases it.</summary>
    [Benchmark]
    public ValueTask Admit_track_and_complete()
    {
        NamespaceCounters slot = _open.TryAdmit("guest", out _)!;
        _open.InFlight.Track(_completion.ActivationId, slot);
        return _open.InFlight.SendCompletionAsync(s_controller, _completion, CancellationToken.None);
    }
}
