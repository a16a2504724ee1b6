using Perf.Invoker.Json;
using Perf.Invoker.Model;

namespace Perf.Invoker.Tests.Support;

/// <summary>Builders for activation messages, actions and runtime requests in tests.</summary>
internal static class Activations
{
    public static ExecutableAction Action(string code, int concurrency = 1, int timeoutMillis = 60_000, int memory = 256, string name = "hello", string kind = "nodejs:20", int logs = 10) =>
        new("guest", name, new ActionSpec
        {
            Exec = new ActionExec { Kind = kind, Code = code, Main = "main" },
            Limits = new ActionLimits { Concurrency = concurrency, Timeout = timeoutMillis, Memory = memory, Logs = logs },
        });

    public static ActivationMessage Message(string content = "{}", ActivationId? id = null, bool blocking = true) => new()
    {
        Transid = new TransactionId { Id = "tid_" + Guid.NewGuid().ToString("N")[..8], StartMillis = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() },
        Action = new FullyQualifiedEntityName { Path = "guest", Name = "hello", Version = "0.0.1" },
        User = new Identity
        {
            Subject = "guest",
            Namespace = new Namespace { Name = "guest", Uuid = "23bc46b1-71f6-4ed5-8c54-816aa4f8c502" },
            Authkey = new AuthKey { ApiKey = "23bc46b1-71f6-4ed5-8c54-816aa4f8c502:secret" },
            Rights = Privileges.All,
            Limits = RawJson.EmptyObject,
        },
        ActivationId = id ?? ActivationId.NewId(),
        RootControllerIndex = new ControllerInstanceId { AsString = "0", InstanceType = "controller" },
        Blocking = blocking,
        Content = RawJson.Parse(content),
    };

    public static InitRequest Init(string code, string main = "main") => new()
    {
        Value = new InitPayload { Name = "hello", Main = main, Binary = false, Code = code, Env = new EnvironmentVariables([]) },
    };

    public static RunRequest Run(ActivationId id, string value = "{}") => new()
    {
        Value = RawJson.Parse(value),
        Namespace = "guest",
        ActionName = "/guest/hello",
        ActionVersion = "0.0.1",
        ActivationId = id,
        TransactionId = "tid_1",
        Deadline = new EpochMillisString(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + 60_000),
        ApiKey = "k:v",
    };
}
