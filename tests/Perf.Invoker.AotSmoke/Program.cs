using System.Text;
using Perf.Invoker.Json;
using Perf.Invoker.Model;
using Perf.Invoker.Store;
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

// The SQLite store under Native AOT: native e_sqlite3 loads, prepared statements bind, rows round-trip.
DirectoryInfo storeDirectory = Directory.CreateTempSubdirectory("aot-store-");
try
{
    using (SqliteDatabase database = SqliteDatabase.Open(Path.Combine(storeDirectory.FullName, "invoker.db")))
    {
        var queue = new SqliteActivationQueue(database);
        long sequence = await queue.EnqueueAsync(Encoding.UTF8.GetBytes(WireSamples.ActivationMessage));
        IReadOnlyList<QueuedMessage> taken = await queue.TakeAsync(0, 10);
        if (taken.Count != 1 || taken[0].Sequence != sequence || JsonModel.Read<ActivationMessage>(taken[0].Message).ActivationId.ToString() != WireSamples.ActivationId)
        {
            Fail("the queue did not return its message");
        }

        await queue.CompleteAsync(sequence);
        var records = new SqliteActivationStore(database);
        ActivationRecord record = JsonModel.Read<ActivationRecord>(WireSamples.ActivationRecord);
        await records.StoreAsync(record, default);
        await records.StoreAsync(record, default);
        if ((await records.FindAsync(record.Namespace, record.ActivationId, default)) is null || (await records.ListAsync(record.Namespace, null, 10, 0, default)).Count != 1)
        {
            Fail("the activation store did not keep exactly one record");
        }

        var actions = new SqliteActionStore(database);
        await actions.PutAsync("guest", "hello", JsonModel.Read<ActionSpec>(WireSamples.Action), overwrite: true);
        if ((await actions.GetAsync("guest", "hello"))?.Executable.Concurrency != 10 || await queue.CountAsync() != 0)
        {
            Fail("the action store or queue count is wrong");
        }
    }
}
finally
{
    storeDirectory.Delete(recursive: true);
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
