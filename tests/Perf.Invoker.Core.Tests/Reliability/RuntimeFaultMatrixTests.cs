using System.Diagnostics;
using Perf.Invoker.ActionProtocol;
using Perf.Invoker.Model;
using Xunit.Abstractions;

namespace Perf.Invoker.Tests.Reliability;

/// <summary>
/// The runtime rows of the fault matrix (issue 13, docs/reliability.md): each fault strikes real runtime processes while
/// other activations are in flight on the same container, and afterwards every accepted activation has exactly one record
/// and one ack with the fault's OpenWhisk message, nothing ran twice, credits, slots, memory and processes are back, and a
/// new activation of the action succeeds. Each row runs three times (the theory's data) and reports its figures.
/// </summary>
[Trait("Category", "Process")]
public sealed class RuntimeFaultMatrixTests(ITestOutputHelper output)
{
    /// <summary>Above every wait of a loaded machine for the activations that must not time out; the faults' own rows use a short one.</summary>
    private const int LongTimeout = 120_000;

    private static ExecutableAction Obedient(string name, int timeoutMillis = LongTimeout) =>
        Activations.Action(FaultRig.ObedientAction, concurrency: 200, timeoutMillis: timeoutMillis, memory: 128, name: name);

    private static ExecutableAction Faulty(string name, string code = "// the fault runtime ignores code", int timeoutMillis = LongTimeout) =>
        Activations.Action(code, concurrency: 200, timeoutMillis: timeoutMillis, memory: 128, name: name);

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(100)]
    public async Task A_runtime_crash_mid_activation_ends_every_activation_in_flight_there_with_one_record_and_the_action_recovers(int others)
    {
        for (int run = 0; run < 3; run++)
        {
            await using var rig = new FaultRig(FaultRig.NodeRuntime);
            ExecutableAction action = Obedient("crash");
            // The others hold their slots on the gate, which never opens: the crash cuts them off.
            ActivationId[] held = [.. rig.SubmitMany(others, action, new { hold = rig.Gate("never") })];
            await rig.WaitForExecutionsAsync(others);

            var fault = Stopwatch.StartNew();
            ActivationId crash = rig.Submit(action, new { crash = true });
            await rig.WaitForRecordsAsync([crash, .. held]);
            foreach (ActivationId id in (ActivationId[])[crash, .. held])
            {
                Assert.Equal((int)ActivationStatus.DeveloperError, rig.Record(id).Response.StatusCode);
                Assert.Equal($$"""{"error":"{{ActionMessages.AbnormalRun}}"}""", rig.Record(id).Response.Result.ToString());
            }

            long recover = await rig.RecoverAsync(action, fault);
            (await rig.SettleAsync($"runtime crash mid-activation, {others} others in flight", others + 1, recover)).AssertNothingLost().Report(output);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task An_init_failure_answers_every_activation_waiting_for_that_init_with_its_message(int run)
    {
        await using var rig = new FaultRig(FaultRig.FaultRuntime);
        ExecutableAction broken = Faulty("broken", "FAIL_INIT");
        // The fault runtime answers /init a second after it arrives: all twenty wait for that one /init.
        var fault = Stopwatch.StartNew();
        ActivationId[] waiting = [.. rig.SubmitMany(20, broken)];
        await rig.WaitForRecordsAsync(waiting);
        foreach (ActivationId id in waiting)
        {
            Assert.Equal((int)ActivationStatus.DeveloperError, rig.Record(id).Response.StatusCode);
            Assert.Equal("""{"error":"init failed on purpose"}""", rig.Record(id).Response.Result.ToString());
        }

        Assert.Empty(rig.Executions);
        long recover = await rig.RecoverAsync(Faulty("healthy"), fault);
        output.WriteLine($"run {run}");
        (await rig.SettleAsync("init failure with 19 waiters", 20, recover)).AssertNothingLost().Report(output);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task A_runtime_that_exits_during_init_answers_every_activation_waiting_for_that_init_and_nothing_runs(int run)
    {
        await using var rig = new FaultRig(FaultRig.NodeRuntime);
        // The code exits the runtime as it loads, while /init runs.
        ExecutableAction dying = Activations.Action("process.exit(3);\nfunction main() { return {}; }", concurrency: 200, memory: 128, name: "dying");
        var fault = Stopwatch.StartNew();
        ActivationId[] waiting = [.. rig.SubmitMany(10, dying)];
        await rig.WaitForRecordsAsync(waiting);
        Assert.All(waiting, id => Assert.Equal($$"""{"error":"{{ActionMessages.AbnormalInitialization}}"}""", rig.Record(id).Response.Result.ToString()));

        Assert.Empty(rig.Executions);
        long recover = await rig.RecoverAsync(Obedient("healthy"), fault);
        output.WriteLine($"run {run}");
        (await rig.SettleAsync("runtime exits during /init, 9 waiters", 10, recover)).AssertNothingLost().Report(output);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task A_timeout_retires_its_container_while_the_others_in_flight_there_finish_with_their_own_results(int run)
    {
        await using var rig = new FaultRig(FaultRig.NodeRuntime);
        // The same code in the same container; only the hung activation's version of the action has a short time limit
        // (the time limit is not part of a container's key: an update of the limit alone keeps the warm container).
        ExecutableAction action = Obedient("timeout");
        ExecutableAction shortLimit = Obedient("timeout", timeoutMillis: 3000);
        string gate = rig.Gate("open-after-timeout");
        ActivationId[] held = [.. rig.SubmitMany(10, action, new { hold = gate })];
        await rig.WaitForExecutionsAsync(10);

        var fault = Stopwatch.StartNew();
        ActivationId hung = rig.Submit(shortLimit, new { hang = true });
        await rig.WaitForRecordsAsync([hung]);
        FaultRig.Open(gate);
        await rig.WaitForRecordsAsync(held);

        Assert.Equal("""{"error":"The action exceeded its time limits of 3000 milliseconds."}""", rig.Record(hung).Response.Result.ToString());
        Assert.All(held, id => Assert.Equal((int)ActivationStatus.Success, rig.Record(id).Response.StatusCode));
        long recover = await rig.RecoverAsync(action, fault);
        output.WriteLine($"run {run}");
        (await rig.SettleAsync("timeout, 10 others in flight", 11, recover)).AssertNothingLost().Report(output);
    }

    public static TheoryData<string, string> BrokenReplies => new()
    {
        { "garbage", "The action did not produce a valid JSON or JSON Array response." },
        { "truncated", ActionMessages.AbnormalRun },
        { "oversized", "The action produced a response that exceeded the allowed length: " },
        { "slow", "The action exceeded its time limits of 3000 milliseconds." },
        { "reset", ActionMessages.AbnormalRun },
    };

    [Theory]
    [MemberData(nameof(BrokenReplies))]
    public async Task A_broken_reply_ends_its_activation_with_OpenWhisks_message_and_the_others_in_flight_are_unharmed(string fault, string message)
    {
        for (int run = 0; run < 3; run++)
        {
            await using var rig = new FaultRig(FaultRig.FaultRuntime);
            // A slow reply has a short time limit; the others in flight in the same container do not (see the timeout row).
            ExecutableAction action = Faulty(fault);
            string gate = rig.Gate("open-after-fault");
            ActivationId[] held = [.. rig.SubmitMany(10, action, new { hold = gate })];
            await rig.WaitForExecutionsAsync(10);

            var started = Stopwatch.StartNew();
            ActivationId broken = rig.Submit(Faulty(fault, timeoutMillis: fault == "slow" ? 3000 : LongTimeout), new { fault });
            await rig.WaitForRecordsAsync([broken]);
            FaultRig.Open(gate);
            await rig.WaitForRecordsAsync(held);

            ActivationRecord record = rig.Record(broken);
            Assert.Contains(message, record.Response.Result.ToString(), StringComparison.Ordinal);
            Assert.All(held, id => Assert.Equal((int)ActivationStatus.Success, rig.Record(id).Response.StatusCode));
            long recover = await rig.RecoverAsync(action, started);
            (await rig.SettleAsync($"reply {fault}, 10 others in flight", 11, recover)).AssertNothingLost().Report(output);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task A_runtime_that_stops_reading_its_sockets_times_out_every_activation_there_and_is_replaced(int run)
    {
        await using var rig = new FaultRig(FaultRig.FaultRuntime);
        ExecutableAction action = Faulty("stall", timeoutMillis: 3000);
        string gate = rig.Gate("never");
        ActivationId[] held = [.. rig.SubmitMany(10, action, new { hold = gate })];
        await rig.WaitForExecutionsAsync(10);

        var fault = Stopwatch.StartNew();
        ActivationId stall = rig.Submit(action, new { fault = "stall" });
        // Sent after the stall: the runtime reads none of it (a large body, so that the socket's buffers fill).
        ActivationId unread = rig.Submit(action, new { filler = new string('x', 900_000) });
        await rig.WaitForRecordsAsync([stall, unread, .. held]);
        Assert.All((ActivationId[])[stall, unread, .. held], id => Assert.Equal((int)ActivationStatus.DeveloperError, rig.Record(id).Response.StatusCode));

        long recover = await rig.RecoverAsync(action, fault);
        output.WriteLine($"run {run}");
        (await rig.SettleAsync("runtime stops reading its sockets, 11 others in flight", 12, recover)).AssertNothingLost().Report(output);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task A_container_killed_from_outside_while_idle_is_replaced_without_failing_the_next_activation(int run)
    {
        await using var rig = new FaultRig(FaultRig.NodeRuntime);
        ExecutableAction action = Obedient("killed-idle");
        ActivationId first = rig.Submit(action);
        await rig.WaitForRecordsAsync([first]);
        await Eventually.True(() => rig.Pool.SlotsInUse == 0, "the container is idle");

        var fault = Stopwatch.StartNew();
        FaultRig.KillNine(rig.ProcessOf(action));
        // The pool notices the exit itself: the dead container's memory comes back and no activation is sent to it.
        await Eventually.True(() => rig.Pool.Containers.Count == 0 && rig.Pool.MemoryInUseMegabytes == 0, "the pool removed the dead container");
        // Nothing ran in the killed container: the next activation must succeed, not inherit the fault.
        long recover = await rig.RecoverAsync(action, fault);
        output.WriteLine($"run {run}");
        (await rig.SettleAsync("container killed from outside while idle", 0, recover)).AssertNothingLost().Report(output);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task A_container_killed_from_outside_while_busy_ends_each_activation_in_flight_there_with_one_record(int run)
    {
        await using var rig = new FaultRig(FaultRig.NodeRuntime);
        ExecutableAction action = Obedient("killed-busy");
        ActivationId[] held = [.. rig.SubmitMany(10, action, new { hold = rig.Gate("never") })];
        await rig.WaitForExecutionsAsync(10);

        var fault = Stopwatch.StartNew();
        FaultRig.KillNine(rig.ProcessOf(action));
        await rig.WaitForRecordsAsync(held);
        Assert.All(held, id => Assert.Equal($$"""{"error":"{{ActionMessages.AbnormalRun}}"}""", rig.Record(id).Response.Result.ToString()));

        long recover = await rig.RecoverAsync(action, fault);
        output.WriteLine($"run {run}");
        (await rig.SettleAsync("container killed from outside while busy, 10 in flight", 10, recover)).AssertNothingLost().Report(output);
    }
}
