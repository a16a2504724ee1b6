using Perf.Invoker.Acknowledgements;
using Perf.Invoker.Model;

namespace Perf.Invoker.Tests.Acknowledgements;

[Trait("Category", "Unit")]
public sealed class ActivationWaitersTests : IDisposable
{
    private static readonly ControllerInstanceId s_controller = new() { AsString = "0", InstanceType = "controller" };

    private readonly ActivationWaiters _waiters = new();

    public void Dispose() => _waiters.Dispose();

    [Fact]
    public async Task A_wait_ends_with_the_ack_that_carries_its_activation()
    {
        ActivationId id = ActivationId.NewId();
        ActivationWaiter waiter = _waiters.Register(id, TimeSpan.FromMinutes(1), CancellationToken.None);

        await _waiters.SendCompletionAsync(s_controller, Completion(id), CancellationToken.None);

        Assert.Null(await waiter.Task);
        _waiters.Forget(waiter);
        Assert.Equal(0, _waiters.Count);
    }

    [Fact]
    public async Task A_wait_without_an_ack_ends_with_a_timeout_once_its_deadline_has_passed()
    {
        ActivationWaiter waiter = _waiters.Register(ActivationId.NewId(), TimeSpan.FromMilliseconds(1), CancellationToken.None);

        await Assert.ThrowsAsync<TimeoutException>(() => waiter.Task);
        Assert.Equal(0, _waiters.Count);
    }

    [Fact]
    public async Task A_late_ack_after_the_timeout_is_dropped()
    {
        ActivationId id = ActivationId.NewId();
        ActivationWaiter waiter = _waiters.Register(id, TimeSpan.FromMilliseconds(1), CancellationToken.None);
        await Assert.ThrowsAsync<TimeoutException>(() => waiter.Task);

        await _waiters.SendCompletionAsync(s_controller, Completion(id), CancellationToken.None);
        Assert.True(waiter.Task.IsFaulted);
    }

    [Fact]
    public async Task A_wait_is_cancelled_by_its_callers_token_and_forgetting_it_lets_the_registration_go()
    {
        using var cancellation = new CancellationTokenSource();
        ActivationWaiter waiter = _waiters.Register(ActivationId.NewId(), TimeSpan.FromMinutes(1), cancellation.Token);

        await cancellation.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiter.Task);
        _waiters.Forget(waiter);
        Assert.Equal(0, _waiters.Count);
    }

    [Fact]
    public async Task A_forgotten_wait_stays_pending_and_its_ack_finds_nobody()
    {
        ActivationId id = ActivationId.NewId();
        ActivationWaiter waiter = _waiters.Register(id, TimeSpan.FromMinutes(1), CancellationToken.None);

        _waiters.Forget(waiter);
        await _waiters.SendCompletionAsync(s_controller, Completion(id), CancellationToken.None);

        Assert.False(waiter.Task.IsCompleted);
        Assert.Equal(0, _waiters.Count);
    }

    [Fact]
    public async Task Releasing_all_ends_every_wait_now_and_later_without_a_record()
    {
        ActivationWaiter before = _waiters.Register(ActivationId.NewId(), TimeSpan.FromMinutes(1), CancellationToken.None);

        _waiters.ReleaseAll();
        ActivationWaiter after = _waiters.Register(ActivationId.NewId(), TimeSpan.FromMinutes(1), CancellationToken.None);

        Assert.Null(await before.Task);
        Assert.Null(await after.Task);
    }

    private static CompletionMessage Completion(ActivationId id) => new()
    {
        Transid = new TransactionId { Id = "tid_1", StartMillis = 1717171717171 },
        ActivationId = id,
        IsSystemError = false,
        Instance = new InvokerInstanceId { Instance = 0, UserMemory = ByteSize.FromMegabytes(1024) },
    };
}
