using System.Text;
using Perf.Invoker.Json;
using Perf.Invoker.Model;
using Perf.Invoker.Tests.Model;

// Runs the generated readers and writers as Native AOT code: the wire samples must round-trip byte
// for byte and bad input must fail with JsonReadException, exactly as under the JIT.
int failures = 0;
Check<ActivationMessage>(WireSamples.ActivationMessage);
Check<ActivationMessage>(WireSamples.ActivationMessageWithOptionals);
Check<PingMessage>(WireSamples.PingMessage);
Check<CombinedCompletionAndResultMessage>(WireSamples.Combined);
Check<CombinedCompletionAndResultMessage>(WireSamples.CombinedShrunk);
Check<CompletionMessage>(WireSamples.Completion);
Check<ResultMessage>(WireSamples.Result);
Check<InitRequest>(WireSamples.Init);
Check<RunRequest>(WireSamples.Run);
try
{
    JsonModel.Read<ActivationMessage>(WireSamples.ActivationMessage.Replace("\"blocking\":true", "\"blocking\":1"));
    Fail("a wrong type was accepted");
}
catch (JsonReadException e) when (e.Member == "blocking")
{
}

Console.WriteLine(failures == 0 ? "aot smoke: ok" : $"aot smoke: {failures} failed");
return failures == 0 ? 0 : 1;

void Check<T>(string json) where T : IJsonValue<T>
{
    string written = Encoding.UTF8.GetString(JsonModel.ToUtf8Bytes(JsonModel.Read<T>(json)));
    if (written != json)
    {
        Fail($"{typeof(T).Name} did not round-trip:\n  {json}\n  {written}");
    }
}

void Fail(string message)
{
    Console.Error.WriteLine(message);
    failures++;
}
