using CsCheck;
using Perf.Invoker.Concurrency;

namespace Perf.Invoker.Tests.Concurrency;

/// <summary>
/// Random operation sequences against <see cref="SlotModel"/>: sequentially step by step, and in parallel
/// where CsCheck checks that the concurrent outcome equals some sequential order of the same operations.
/// Small capacities make full, free, shrink-below-in-flight and close states common.
/// </summary>
[Trait("Category", "Unit")]
public sealed class SlotAllocatorPropertyTests
{
    private const int MaxCapacity = 5;

    private static readonly Gen<SlotOp> s_op = Gen.Frequency(
        (4, Gen.Const(SlotOp.Acquire)),
        (3, Gen.Const(SlotOp.Release)),
        (2, Gen.Int[0, MaxCapacity].Select(SlotOp.Resize)),
        (1, Gen.Const(SlotOp.Close)));

    [Fact]
    public void RandomSequences_OfAcquireReleaseResizeAndClose_MatchTheSequentialModelAtEveryStep()
    {
        Gen.Select(Gen.Int[0, MaxCapacity], s_op.Array[0, 60]).Sample(
            (capacity, ops) =>
            {
                var slots = new SlotAllocator(capacity);
                var model = new SlotModel(capacity);
                int drained = 0;
                for (int step = 0; step < ops.Length; step++)
                {
                    SlotOp op = ops[step];
                    string at = $"step {step} ({op}) from {model}";
                    switch (op.Kind)
                    {
                        case SlotOpKind.Acquire:
                            bool expected = model.TryAcquire(out bool expectedFull);
                            bool acquired = slots.TryAcquire(out bool becameFull);
                            Assert.True(expected == acquired, $"{at}: acquired {acquired}");
                            Assert.True(expectedFull == becameFull, $"{at}: becameFull {becameFull}");
                            break;
                        case SlotOpKind.Release when model.InFlight == 0:
                            // An over-release must be refused and change nothing.
                            Assert.Throws<InvalidOperationException>(() => slots.Release());
                            Assert.Null(model.Release());
                            break;
                        case SlotOpKind.Release:
                            SlotTransitions released = slots.Release();
                            Assert.True(model.Release() == released, $"{at}: {released}");
                            drained += (released & SlotTransitions.Drained) != 0 ? 1 : 0;
                            break;
                        case SlotOpKind.Resize:
                            SlotTransitions resized = slots.Resize(op.Capacity);
                            Assert.True(model.Resize(op.Capacity) == resized, $"{at}: {resized}");
                            break;
                        case SlotOpKind.Close:
                            SlotTransitions closed = slots.Close();
                            Assert.True(model.Close() == closed, $"{at}: {closed}");
                            drained += (closed & SlotTransitions.Drained) != 0 ? 1 : 0;
                            break;
                    }

                    Assert.True(
                        model.InFlight == slots.InFlight && model.Capacity == slots.Capacity
                        && model.IsFull == slots.IsFull && model.IsClosed == slots.IsClosed,
                        $"{at}: model {model}, allocator {slots}");
                }

                // The pool removes a closed container on Drained, so it must come exactly once, and only when empty.
                Assert.Equal(model.IsClosed && model.InFlight == 0 ? 1 : 0, drained);
            },
            iter: 20_000,
            print: t => $"capacity {t.Item1}: {string.Join(", ", t.Item2)}");
    }

    [Fact]
    public void ConcurrentOperations_AreLinearizable_AgainstTheSequentialModel()
    {
        // Each side tallies what its operations returned; the parallel run must match some sequential order
        // of the same operations on the model, in the final state and in every tally.
        Check.SampleParallel(
            Gen.Int[0, MaxCapacity].Select(c => (new Observed<SlotAllocator>(new SlotAllocator(c)), new Observed<SlotModel>(new SlotModel(c)))),
            [
                GenOperation.Create<Observed<SlotAllocator>, Observed<SlotModel>>(
                    "TryAcquire",
                    a => a.Tally.Acquired(a.Slots.TryAcquire(out bool full), full),
                    m => m.Tally.Acquired(m.Slots.TryAcquire(out bool full), full)),
                GenOperation.Create<Observed<SlotAllocator>, Observed<SlotModel>>(
                    "Release",
                    a => a.Tally.Released(TryRelease(a.Slots)),
                    m => m.Tally.Released(m.Slots.Release())),
                GenOperation.Create<Observed<SlotAllocator>, Observed<SlotModel>, int>(
                    Gen.Int[0, MaxCapacity],
                    c => $"Resize({c})",
                    (a, c) => a.Tally.Changed(a.Slots.Resize(c)),
                    (m, c) => m.Tally.Changed(m.Slots.Resize(c))),
                GenOperation.Create<Observed<SlotAllocator>, Observed<SlotModel>>(
                    "Close",
                    a => a.Tally.Changed(a.Slots.Close()),
                    m => m.Tally.Changed(m.Slots.Close())),
            ],
            equal: (a, m) => a.Slots.ToString() == m.Slots.ToString() && a.Slots.IsFull == m.Slots.IsFull && a.Tally.Equals(m.Tally),
            maxSequentialOperations: 8,
            maxParallelOperations: 4,
            iter: 500,
            printActual: a => $"{a.Slots}; {a.Tally}",
            printModel: m => $"{m.Slots}; {m.Tally}");

        static SlotTransitions? TryRelease(SlotAllocator slots)
        {
            try
            {
                return slots.Release();
            }
            catch (InvalidOperationException)
            {
                return null;
            }
        }
    }

    internal enum SlotOpKind { Acquire, Release, Resize, Close }

    internal readonly record struct SlotOp(SlotOpKind Kind, int Capacity)
    {
        public static readonly SlotOp Acquire = new(SlotOpKind.Acquire, 0);
        public static readonly SlotOp Release = new(SlotOpKind.Release, 0);
        public static readonly SlotOp Close = new(SlotOpKind.Close, 0);

        public static SlotOp Resize(int capacity) => new(SlotOpKind.Resize, capacity);

        public override string ToString() => Kind == SlotOpKind.Resize ? $"Resize({Capacity})" : Kind.ToString();
    }

    internal sealed class Observed<T>(T slots)
    {
        public T Slots { get; } = slots;

        public Tally Tally { get; } = new();
    }

    /// <summary>Counts of what operations returned; thread-safe, because parallel operations share one.</summary>
    internal sealed class Tally : IEquatable<Tally>
    {
        private readonly int[] _counts = new int[7];

        public void Acquired(bool acquired, bool becameFull)
        {
            Interlocked.Increment(ref _counts[acquired ? 0 : 1]);
            if (becameFull)
            {
                Interlocked.Increment(ref _counts[2]);
            }
        }

        /// <summary>Null is a refused over-release.</summary>
        public void Released(SlotTransitions? transitions)
        {
            if (transitions is { } t)
            {
                Changed(t);
            }
            else
            {
                Interlocked.Increment(ref _counts[6]);
            }
        }

        public void Changed(SlotTransitions transitions)
        {
            if ((transitions & SlotTransitions.BecameFull) != 0) { Interlocked.Increment(ref _counts[2]); }
            if ((transitions & SlotTransitions.BecameFree) != 0) { Interlocked.Increment(ref _counts[3]); }
            if ((transitions & SlotTransitions.BecameIdle) != 0) { Interlocked.Increment(ref _counts[4]); }
            if ((transitions & SlotTransitions.Drained) != 0) { Interlocked.Increment(ref _counts[5]); }
        }

        public bool Equals(Tally? other) => other is not null && _counts.AsSpan().SequenceEqual(other._counts);

        public override bool Equals(object? obj) => Equals(obj as Tally);

        public override int GetHashCode() => _counts.Sum();

        public override string ToString() =>
            $"acquired {_counts[0]}, refused {_counts[1]}, full {_counts[2]}, free {_counts[3]}, idle {_counts[4]}, drained {_counts[5]}, over-released {_counts[6]}";
    }
}
