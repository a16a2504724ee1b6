using System.Buffers;
using System.Text;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Perf.Invoker.Benchmarks.Json.Stj;
using Perf.Invoker.Json;
using Perf.Invoker.Model;

namespace Perf.Invoker.Benchmarks.Json;

/// <summary>
/// The three JSON operations on every activation: read the ActivationMessage from Kafka, write the
/// /run body to the container, write the acknowledgement. Each against System.Text.Json source
/// generation over equivalent types (the baseline of its category), with the reusable
/// Utf8JsonWriter a performance-minded user would keep.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class JsonBenchmarks
{
    // docs/openwhisk.md §2, with an id and transid as long as real controllers make them.
    private static readonly byte[] s_message = Encoding.UTF8.GetBytes(
        """{"transid":["sid_invokerHealth_8f3c0d27a1b94c7e9f",1717171717171],"action":{"path":"guest","name":"hello","version":"0.0.1"},"revision":"3-6a8c","user":{"subject":"guest","namespace":{"name":"guest","uuid":"23bc46b1-71f6-4ed5-8c54-816aa4f8c502"},"authkey":{"api_key":"23bc46b1-71f6-4ed5-8c54-816aa4f8c502:123zO3xZCLrMN6v2BKK1dXYFpXlPkccOFqm12CdAsMgRU4VrNZ9lyGVCGuMDGIwP"},"rights":["READ","PUT","DELETE","ACTIVATE"],"limits":{}},"activationId":"c7bb1339cb4f40e3a6ccead6c99f804e","rootControllerIndex":{"asString":"0","instanceType":"controller"},"blocking":true,"content":{"name":"John","place":"Vermont","payload":{"items":[1,2,3],"flag":true}},"initArgs":[],"lockedArgs":{}}""");

    private static readonly byte[] s_ack = Encoding.UTF8.GetBytes(
        """{"transid":["sid_invokerHealth_8f3c0d27a1b94c7e9f",1717171717171],"response":{"namespace":"guest","name":"hello","subject":"guest","activationId":"c7bb1339cb4f40e3a6ccead6c99f804e","start":1717171717200,"end":1717171717375,"response":{"statusCode":0,"result":{"payload":"Hello, John from Vermont!"}},"logs":[],"version":"0.0.1","publish":false,"annotations":[{"key":"limits","value":{"timeout":60000,"memory":256,"logs":10,"concurrency":10}},{"key":"path","value":"guest/hello"},{"key":"kind","value":"nodejs:20"},{"key":"timeout","value":false},{"key":"waitTime","value":29}],"duration":175},"isSystemError":false,"instance":{"instance":0,"uniqueName":"invoker-a","displayedName":"invoker0","userMemory":"2048 MB","instanceType":"invoker","tags":[],"dedicatedNamespaces":[]}}""");

    private readonly ArrayBufferWriter<byte> _output = new(4096);
    private readonly Utf8JsonWriter _stjWriter = new(Stream.Null);

    private RunRequest _run = null!;
    private StjRunRequest _stjRun = null!;
    private CombinedCompletionAndResultMessage _ackMessage = null!;
    private StjCombinedMessage _stjAck = null!;

    [GlobalSetup]
    public void Setup()
    {
        var message = JsonModel.Read<ActivationMessage>(s_message);
        _run = new RunRequest
        {
            Value = message.Content!.Value,
            Namespace = message.User.Namespace.Name,
            ActionName = "/guest/hello",
            ActionVersion = message.Action.Version!,
            ActivationId = message.ActivationId,
            TransactionId = message.Transid.Id,
            Deadline = new EpochMillisString(message.Transid.StartMillis + 60_000),
            ApiKey = message.User.Authkey.ApiKey,
        };
        var stjMessage = JsonSerializer.Deserialize(s_message, StjContext.Default.StjActivationMessage)!;
        _stjRun = new StjRunRequest
        {
            Value = stjMessage.Content!.Value,
            Namespace = stjMessage.User.Namespace.Name,
            ActionName = "/guest/hello",
            ActionVersion = stjMessage.Action.Version!,
            ActivationId = stjMessage.ActivationId,
            TransactionId = stjMessage.Transid[0].GetString()!,
            Deadline = (stjMessage.Transid[1].GetInt64() + 60_000).ToString(System.Globalization.CultureInfo.InvariantCulture),
            ApiKey = stjMessage.User.Authkey.ApiKey,
        };
        _ackMessage = JsonModel.Read<CombinedCompletionAndResultMessage>(s_ack);
        _stjAck = JsonSerializer.Deserialize(s_ack, StjContext.Default.StjCombinedMessage)!;
    }

    [BenchmarkCategory("Read ActivationMessage"), Benchmark(Baseline = true)]
    public StjActivationMessage Read_SystemTextJson() => JsonSerializer.Deserialize(s_message, StjContext.Default.StjActivationMessage)!;

    [BenchmarkCategory("Read ActivationMessage"), Benchmark]
    public ActivationMessage Read_Generated() => JsonModel.Read<ActivationMessage>(s_message);

    [BenchmarkCategory("Write /run body"), Benchmark(Baseline = true)]
    public int WriteRun_SystemTextJson()
    {
        _output.ResetWrittenCount();
        _stjWriter.Reset(_output);
        JsonSerializer.Serialize(_stjWriter, _stjRun, StjContext.Default.StjRunRequest);
        _stjWriter.Flush();
        return _output.WrittenCount;
    }

    [BenchmarkCategory("Write /run body"), Benchmark]
    public int WriteRun_Generated()
    {
        _output.ResetWrittenCount();
        JsonModel.Write(_output, _run);
        return _output.WrittenCount;
    }

    [BenchmarkCategory("Write ack"), Benchmark(Baseline = true)]
    public int WriteAck_SystemTextJson()
    {
        _output.ResetWrittenCount();
        _stjWriter.Reset(_output);
        JsonSerializer.Serialize(_stjWriter, _stjAck, StjContext.Default.StjCombinedMessage);
        _stjWriter.Flush();
        return _output.WrittenCount;
    }

    [BenchmarkCategory("Write ack"), Benchmark]
    public int WriteAck_Generated()
    {
        _output.ResetWrittenCount();
        JsonModel.Write(_output, _ackMessage);
        return _output.WrittenCount;
    }
}
