using Microsoft.Extensions.Time.Testing;
using Perf.Invoker.Feed;

namespace Perf.Invoker.Tests.Feed;

/// <summary>
/// <c>invoker&lt;N&gt;</c> and <c>invoker&lt;N&gt;concurrent</c> as two feeds side by side sharing one handler (MessageFeed's
/// remarks): under saturation neither topic starves the other. Progress is counted, never timed.
/// </summary>
[Trait("Category", "Unit")]
public sealed class TwoTopicFeedTests
{
    private const int Partitions = 2;
    private const int PerPartition = 2000;
    private const int Messages = Partitions * PerPartition;

    /// <summary>Topic 0 (<c>invoker&lt;N&gt;</c>) gets the smaller window, as beside a concurrent topic (PeekWindow).</summary>
    private static readonly int[] s_windows = [4, 16];

    [Fact]
    public async Task BothTopicsSaturated_EachDispatchesExactlyItsOwnWindowInEveryRound()
    {
        using var topics = new TwoTopics();
        var handler = new SharedHeldHandler();
        Task run = topics.RunAsync(handler);

        // Each round: both windows fill while both sources still hold thousands of messages, then every held
        // activation completes. Neither topic may fall behind its window in any round, however the loops interleave.
        const int Rounds = 100;
        for (int round = 1; round <= Rounds; round++)
        {
            await Eventually.True(() => topics.AreFullAfter(round), $"round {round}: both windows full");
            for (int topic = 0; topic < 2; topic++)
            {
                Assert.Equal(round * s_windows[topic], handler.Started(topic));
                Assert.Equal(s_windows[topic], topics.Feeds[topic].CreditsInUse);
            }

            handler.ReleaseHeld(0, keepHolding: true);
            handler.ReleaseHeld(1, keepHolding: true);
        }

        handler.ReleaseHeld(0, keepHolding: false);
        handler.ReleaseHeld(1, keepHolding: false);
        await topics.StopAtTheEndAsync(run);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public async Task ATopicWhoseWindowIsFull_NeverHoldsBackTheOther_WhichRunsToItsEnd(int heldTopic)
    {
        int freeTopic = 1 - heldTopic;
        using var topics = new TwoTopics();
        var handler = new SharedHeldHandler();
        handler.ReleaseHeld(freeTopic, keepHolding: false);
        Task run = topics.RunAsync(handler);

        await Eventually.True(() => topics.Feeds[freeTopic].Completed == Messages, "the free topic completed all of its messages");
        MessageFeed held = topics.Feeds[heldTopic];
        await Eventually.True(() => held.IsWaitingForCredit, "the held topic's loop sleeps on its full window");
        Assert.Equal(s_windows[heldTopic], held.Dispatched);
        Assert.Equal(0, held.Completed);
        // Not polled while full: nothing was taken from the held topic that it could not run.
        Assert.Equal(s_windows[heldTopic], topics.Sources[heldTopic].ReceiveCalls);

        handler.ReleaseHeld(heldTopic, keepHolding: false);
        await topics.StopAtTheEndAsync(run);
    }

    /// <summary>Two in-memory topics of <see cref="Messages"/> messages each, a feed over each, windows <see cref="s_windows"/>.</summary>
    private sealed class TwoTopics : IDisposable
    {
        private readonly CancellationTokenSource _stop = new();

        public TwoTopics()
        {
            for (int topic = 0; topic < 2; topic++)
            {
                Sources[topic].AddRange(Partitions, PerPartition);
            }
        }

        public CountingSource[] Sources { get; } = [new(), new()];

        public RecordingCommitter[] Committers { get; } = [new(), new()];

        public MessageFeed[] Feeds { get; } = new MessageFeed[2];

        public Task RunAsync(SharedHeldHandler handler)
        {
            for (int topic = 0; topic < 2; topic++)
            {
                // Commits by count only: the timer never fires on a fake clock nobody advances.
                Feeds[topic] = new MessageFeed(Sources[topic], Committers[topic], handler.For(topic),
                    new MessageFeedOptions { MaxPeek = s_windows[topic] }, new FakeTimeProvider());
            }

            return Task.WhenAll(Feeds[0].RunAsync(_stop.Token), Feeds[1].RunAsync(_stop.Token));
        }

        /// <summary>Both loops sleep on full windows after <paramref name="rounds"/> windows each were dispatched.</summary>
        public bool AreFullAfter(int rounds) =>
            Feeds.Select((feed, topic) => feed.Dispatched == rounds * s_windows[topic] && feed.IsWaitingForCredit).All(full => full);

        /// <summary>Waits for every message of both topics to complete, stops, and checks docs/architecture.md §3 invariants 2–3.</summary>
        public async Task StopAtTheEndAsync(Task run)
        {
            await Eventually.True(() => Feeds.All(f => f.Completed == Messages), "both topics completed every message");
            _stop.Cancel();
            await run;
            for (int topic = 0; topic < 2; topic++)
            {
                Assert.Equal(0, Feeds[topic].CreditsInUse);
                Assert.Equal(Messages, Feeds[topic].Dispatched);
                for (int partition = 0; partition < Partitions; partition++)
                {
                    Assert.Equal(PerPartition, Committers[topic].LastCommitOf(partition));
                }
            }
        }

        public void Dispose() => _stop.Dispose();
    }

    /// <summary>One handler for both topics; a topic's activations are held until the test releases them, or run through.</summary>
    private sealed class SharedHeldHandler
    {
        private readonly Lock _gate = new();
        private readonly List<TaskCompletionSource>[] _held = [[], []];
        private readonly bool[] _holding = [true, true];
        private readonly int[] _started = new int[2];

        public FeedHandler For(int topic) => _ => Start(topic);

        public int Started(int topic) => Volatile.Read(ref _started[topic]);

        /// <summary>Completes the topic's held activations; later ones are held too when <paramref name="keepHolding"/>, else run through.</summary>
        public void ReleaseHeld(int topic, bool keepHolding)
        {
            TaskCompletionSource[] released;
            lock (_gate)
            {
                _holding[topic] = keepHolding;
                released = [.. _held[topic]];
                _held[topic].Clear();
            }

            foreach (TaskCompletionSource activation in released)
            {
                activation.SetResult();
            }
        }

        private Task Start(int topic)
        {
            Interlocked.Increment(ref _started[topic]);
            lock (_gate)
            {
                if (!_holding[topic])
                {
                    return Task.CompletedTask;
                }

                var activation = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _held[topic].Add(activation);
                return activation.Task;
            }
        }
    }
}
