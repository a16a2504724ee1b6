using System.Buffers;
using Perf.Invoker.Json;
using Perf.Invoker.Model;
using Perf.Invoker.Tests.Model;

namespace Perf.Invoker.Tests.Json;

/// <summary>Allocation on the hot path is a bug: these count bytes (not time), so they are exact and stable.</summary>
[Trait("Category", "Unit")]
public sealed class AllocationTests
{
    [Fact]
    public void WritingRunBodiesAndAcks_AllocatesNothing()
    {
        var run = JsonModel.Read<RunRequest>(WireSamples.Run);
        var ack = JsonModel.Read<CombinedCompletionAndResultMessage>(WireSamples.Combined);
        var completion = JsonModel.Read<CompletionMessage>(WireSamples.Completion);
        var output = new ArrayBufferWriter<byte>(8192);
        WriteAll(output, run, ack, completion);

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++)
        {
            WriteAll(output, run, ack, completion);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    private static void WriteAll(ArrayBufferWriter<byte> output, RunRequest run, CombinedCompletionAndResultMessage ack, CompletionMessage completion)
    {
        output.ResetWrittenCount();
        JsonModel.Write(output, run);
        JsonModel.Write(output, ack);
        JsonModel.Write(output, completion);
    }

    [Fact]
    public void ReadingAnActivationMessage_InSteadyState_AllocatesOnlyTheModelAndTheTransactionId()
    {
        byte[] utf8 = System.Text.Encoding.UTF8.GetBytes(WireSamples.ActivationMessage);
        JsonModel.Read<ActivationMessage>(utf8);

        long before = GC.GetAllocatedBytesForCurrentThread();
        JsonModel.Read<ActivationMessage>(utf8);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        // Seven small objects (message, name, identity, namespace, key, controller id) and one string;
        // names, keys and ids come from the string pool or are value types.
        Assert.InRange(allocated, 1, 640);
    }
}
