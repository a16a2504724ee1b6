using Perf.Invoker.ActionProtocol;
using Perf.Invoker.Acknowledgements;
using Perf.Invoker.Containers;
using Perf.Invoker.Invocation;
using Perf.Invoker.Json;
using Perf.Invoker.Model;
using Perf.Invoker.Pool;
using Perf.Invoker.Store;

namespace Perf.Invoker.Fuzz;

/// <summary>
/// An activation message as the feed hands it to <see cref="ActivationMessageHandler"/> (src/Core/Invocation), with an
/// action source that finds no action, so every message ends in a record without a container. The generated reader
/// (src/Core/Model) must read it or throw <see cref="JsonReadException"/>; what it reads must write back to bytes that
/// read the same; the handler must finish with one ack when the message reads (invariant 1 of docs/architecture.md), at
/// most one when it does not, and every record and ack it produces must be JSON that reads back.
/// </summary>
public static class ActivationMessageHarness
{
    private static readonly MemorySinks s_sinks = new();

    private static readonly ActivationMessageHandler s_handler = new(
        new ActivationInvoker(
            new ContainerPool(new NoContainers(), new ContainerPoolOptions()),
            s_sinks,
            s_sinks,
            new InvokerInstanceId { Instance = 0, UserMemory = ByteSize.FromMegabytes(2048) }),
        s_sinks,
        new NoActions());

    public static void Run(ReadOnlyMemory<byte> input)
    {
        bool reads = JsonContract.TryRead(input, out ActivationMessage? message);
        if (reads)
        {
            JsonContract.RoundTrips(message!);
            SplitsInitArguments(message!);
        }

        s_sinks.Clear();
        Task handled = s_handler.HandleAsync(input);
        ContractViolation.Unless(handled.IsCompleted, "the handler waited on nothing that can take time");
        handled.GetAwaiter().GetResult();
        ContractViolation.Unless(reads ? s_sinks.Acks == 1 : s_sinks.Acks <= 1, $"{s_sinks.Acks} acks for a message that {(reads ? "reads" : "does not read")}");
        ContractViolation.Unless(s_sinks.Records <= s_sinks.Acks, $"{s_sinks.Records} records and {s_sinks.Acks} acks");
    }

    /// <summary>
    /// The container's /init takes the parameters the message names in <c>initArgs</c> (src/Core/Pool/InitArguments): the
    /// rest must be JSON, and no parameter may be lost or renamed on the way.
    /// </summary>
    private static void SplitsInitArguments(ActivationMessage message)
    {
        var env = new List<KeyValuePair<string, string>>();
        RawJson content = message.Content ?? RawJson.EmptyObject;
        RawJson rest = InitArguments.Split(content, message.InitArgs, env);
        ContractViolation.Unless(JsonContract.TryRead(rest.Utf8, out RawJson _), $"the parameters left for /run are not JSON: {rest}");
        if (message.InitArgs is { Length: > 0 } && Names(content) is { } before && Names(rest) is { } after)
        {
            after.AddRange(env.Select(e => e.Key));
            ContractViolation.Unless(before.Order(StringComparer.Ordinal).SequenceEqual(after.Order(StringComparer.Ordinal), StringComparer.Ordinal),
                $"parameters [{string.Join(", ", before)}] split into [{string.Join(", ", after)}]");
        }
    }

    /// <summary>The top-level member names of an object, decoded; null for another value or a name that is not text.</summary>
    private static List<string>? Names(RawJson json)
    {
        var reader = new System.Text.Json.Utf8JsonReader(json.Utf8.Span, new System.Text.Json.JsonReaderOptions { MaxDepth = 1000 });
        if (!reader.Read() || reader.TokenType != System.Text.Json.JsonTokenType.StartObject)
        {
            return null;
        }

        var names = new List<string>();
        try
        {
            while (reader.Read() && reader.TokenType == System.Text.Json.JsonTokenType.PropertyName)
            {
                names.Add(reader.GetString()!);
                reader.Read();
                reader.Skip();
            }
        }
        catch (InvalidOperationException)
        {
            return null;
        }

        return names;
    }

    /// <summary>The store and the ack sink: counts, and checks that each record and ack is JSON that reads back.</summary>
    private sealed class MemorySinks : IActivationStore, IAcknowledgementSink
    {
        public int Records { get; private set; }

        public int Acks { get; private set; }

        public void Clear() => (Records, Acks) = (0, 0);

        public ValueTask StoreAsync(ActivationRecord record, CancellationToken cancellationToken)
        {
            JsonContract.RoundTrips(record, ActionClient.RecordMaxDepth);
            Records++;
            return ValueTask.CompletedTask;
        }

        public ValueTask<ActivationRecord?> FindAsync(string userNamespace, ActivationId activationId, CancellationToken cancellationToken) =>
            ValueTask.FromResult<ActivationRecord?>(null);

        public ValueTask SendCombinedAsync(ControllerInstanceId controller, CombinedCompletionAndResultMessage message, CancellationToken cancellationToken)
        {
            JsonContract.RoundTrips(message, ActionClient.AckMaxDepth);
            Acks++;
            return ValueTask.CompletedTask;
        }

        public ValueTask SendCompletionAsync(ControllerInstanceId controller, CompletionMessage message, CancellationToken cancellationToken)
        {
            JsonContract.RoundTrips(message);
            Acks++;
            return ValueTask.CompletedTask;
        }
    }

    private sealed class NoActions : IActionSource
    {
        public ValueTask<ActionLookup> FindAsync(ActivationMessage message, CancellationToken cancellationToken) => ValueTask.FromResult(ActionLookup.NotFound);
    }

    /// <summary>The pool is never asked for a container: no action is ever found.</summary>
    private sealed class NoContainers : IContainerFactory
    {
        public ValueTask<IContainer> CreateAsync(ContainerSpec spec, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("the activation-message harness runs no action");

        public ValueTask RemoveLeftoversAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
