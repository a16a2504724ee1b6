using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;

namespace Perf.Invoker.Tests.Standalone;

/// <summary>A graceful stop (SIGTERM) of `invoker standalone` with blocking callers waiting.</summary>
[Trait("Category", "Process")]
public sealed class StandaloneShutdownTests
{
    [Fact]
    public async Task A_blocking_caller_whose_activation_is_still_queued_at_a_graceful_stop_gets_its_id_and_the_activation_runs_after_the_restart()
    {
        string data = Directory.CreateTempSubdirectory("invoker-standalone-stop-").FullName;
        string runs = Path.Combine(data, "runs.log");
        string gate = Path.Combine(data, "gate");
        // Each execution notes that it started, then holds its container until the gate file exists.
        string code = $$"""
            const fs = require('fs');
            function main() {
              fs.appendFileSync({{JsonSerializer.Serialize(runs)}}, process.env.__OW_ACTIVATION_ID + '\n');
              return new Promise(resolve => {
                const poll = setInterval(() => { if (fs.existsSync({{JsonSerializer.Serialize(gate)}})) { clearInterval(poll); resolve({ done: true }); } }, 5);
              });
            }
            """;

        string id;
        // 128 MB of user memory and concurrency 1: a peek window of one, so a second activation waits in the queue.
        StandaloneInvoker first = await StandaloneInvoker.StartAsync(data, concurrencyMax: 1, userMemory: 128);
        try
        {
            using (HttpResponseMessage put = await first.Client.PutAsync("_/actions/held", JsonBody(new { exec = new { kind = "nodejs:20", code }, limits = new { memory = 128 } })))
            {
                Assert.Equal(HttpStatusCode.OK, put.StatusCode);
            }

            using (HttpResponseMessage running = await first.Client.PostAsync("_/actions/held", JsonBody(new { })))
            {
                Assert.Equal(HttpStatusCode.Accepted, running.StatusCode);
            }

            await Eventually.True(() => File.Exists(runs), "the first activation holds the only credit", seconds: 30, pollMilliseconds: 50);
            Task<HttpResponseMessage> blocking = first.Client.PostAsync("_/actions/held?blocking=true", JsonBody(new { }));
            await Eventually.True(() => QueuedCount(data) == 2, "the blocking activation is durable behind it", seconds: 30, pollMilliseconds: 50);

            first.Terminate();
            // Kestrel stops listening only after the stop has been signalled: from then on the feed takes nothing new.
            await Eventually.True(() => !IsListening(first.Url), "the stop has begun", seconds: 30, pollMilliseconds: 50);
            File.WriteAllText(gate, "open");

            using HttpResponseMessage answer = await blocking;
            Assert.Equal(HttpStatusCode.Accepted, answer.StatusCode);
            id = answer.Headers.GetValues("x-openwhisk-activation-id").Single();
            Assert.Equal(id, (await answer.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("activationId").GetString());
        }
        finally
        {
            await first.DisposeAsync();
        }

        await using (StandaloneInvoker second = await StandaloneInvoker.StartAsync(data, concurrencyMax: 1, userMemory: 128))
        {
            JsonNode record = await StandaloneApiTests.FetchActivationAsync(second.Client, id);
            Assert.Equal(0, (int?)record["response"]!["statusCode"]);
        }

        Directory.Delete(data, recursive: true);
    }

    private static long QueuedCount(string data)
    {
        using var connection = new SqliteConnection($"Data Source={Path.Combine(data, "invoker.db")};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using SqliteCommand count = connection.CreateCommand();
        count.CommandText = "SELECT count(*) FROM queue;";
        return (long)count.ExecuteScalar()!;
    }

    private static bool IsListening(string url)
    {
        var address = new Uri(url);
        try
        {
            using var client = new TcpClient();
            client.Connect(address.Host, address.Port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }


    private static StringContent JsonBody<T>(T value) => new(JsonSerializer.Serialize(value), Encoding.UTF8, "application/json");
}
