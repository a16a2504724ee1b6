using System.Buffers;
using System.Text.Json;
using Perf.Invoker.Json;
using Perf.Invoker.Model;
using Perf.Invoker.Store;

namespace Perf.Invoker.Host.Standalone;

/// <summary>
/// Runs a sequence as OpenWhisk's controller does (SequenceActions.scala): component after component through the invoker
/// path (<see cref="ActivationRunner"/>), each component's input the previous one's result merged under its own default
/// parameters, each component's activation with the sequence's activation as its <c>cause</c>. A result with an
/// <c>error</c> member, a missing component, a component that does not complete or more than <see cref="MaxLength"/>
/// atomic actions stop the chain. The sequence's own record then has the last response, the component activation ids as
/// its logs, the sum of their durations, and the annotations <c>topmost</c>, <c>path</c>, <c>kind: "sequence"</c>,
/// <c>causedBy</c> (inner sequences) and <c>limits</c> (with the most memory of its components). Like OpenWhisk's
/// controller, the chain lives in this process: its components are durable in the queue, the chain itself is not.
/// </summary>
internal sealed class SequenceRunner(QualifiedActions resolver, ActivationRunner runner, SqliteActivationStore records, TimeProvider time)
{
    public const string Kind = "sequence";

    /// <summary>OpenWhisk's default limit on the atomic actions of a sequence (whisk.actionSequence.maxLength).</summary>
    public const int MaxLength = 50;

    public static bool IsSequence(ActionSpec spec) => spec.Exec.Kind == Kind;

    /// <summary><c>POST …/actions/{sequence}</c>: as an action's invoke answers, with the sequence's own activation.</summary>
    public async Task InvokeAsync(HttpContext context, NamespaceKey key, StoredAction sequence, RawJson content, bool blocking, bool resultOnly, TimeSpan wait)
    {
        ActivationId id = ActivationId.NewId();
        Task<ActivationRecord> run = StartAsync(key, sequence, content, id);
        context.Response.Headers["x-openwhisk-activation-id"] = id.ToString();
        if (!blocking)
        {
            await ApiResponses.WriteActivationIdAsync(context, id);
            return;
        }

        ActivationRecord record;
        try
        {
            record = await run.WaitAsync(wait, context.RequestAborted);
        }
        catch (TimeoutException)
        {
            await ApiResponses.WriteActivationIdAsync(context, id);
            return;
        }

        await InvokeEndpoint.WriteOutcomeAsync(context, record, resultOnly);
    }

    /// <summary>
    /// Starts a topmost sequence, detached from whoever asked (a caller that goes away does not stop it), and stores its
    /// record when it ends; the task completes with that record.
    /// </summary>
    public Task<ActivationRecord> StartAsync(NamespaceKey key, StoredAction sequence, RawJson content, ActivationId id) => Task.Run(async () =>
    {
        try
        {
            return await RunAsync(key, sequence, content, id, cause: null, new Counter());
        }
        catch (Exception e)
        {
            // Nobody may be waiting (a non-blocking invoke): the fault is logged here, with the sequence's activation.
            Console.Error.WriteLine($"sequence {sequence.Namespace}/{sequence.Name} activation {id}: {e.GetType().Name}: {e.Message}");
            throw;
        }
    });

    private async Task<ActivationRecord> RunAsync(NamespaceKey key, StoredAction sequence, RawJson input, ActivationId id, ActivationId? cause, Counter atomic)
    {
        long start = time.GetUtcNow().ToUnixTimeMilliseconds();
        var logs = new List<string>();
        long duration = 0;
        int? maxMemory = null;
        // The input boxed as a successful response: the first component's input is the sequence's.
        ActivationResponse response = new() { StatusCode = (int)ActivationStatus.Success, Result = input };
        foreach (string name in sequence.Spec.Exec.Components ?? [])
        {
            if (atomic.Value >= MaxLength)
            {
                response = ApplicationError(SequenceValidation.TooLong);
                break;
            }

            if ((QualifiedActions.Parse(name, key.Namespace) is { } entity ? await resolver.FindAsync(entity, CancellationToken.None) : null) is not { Action: { } component } found)
            {
                response = ApplicationError(SequenceValidation.ComponentNotFound);
                break;
            }

            RawJson previous = response.Result is { IsEmpty: false } result ? result : RawJson.EmptyObject;
            ActivationRecord record;
            if (IsSequence(component.Spec))
            {
                record = await RunAsync(key, component, previous, ActivationId.NewId(), cause: id, atomic);
            }
            else
            {
                // The component's defaults under the previous result, as the controller merges an action's parameters.
                if (InvocationContent.Merge(found.Parameters, previous.Utf8, out _) is not { } content)
                {
                    response = WhiskError(SequenceFailed);
                    break;
                }

                // OpenWhisk waits for a component its time limit and a minute more.
                TimeSpan wait = component.Executable.Timeout + TimeSpan.FromMinutes(1);
                InternalRun run = await runner.InvokeAsync(component, key, content, cause: id, wait, CancellationToken.None);
                atomic.Value++;
                if (run.TooLarge)
                {
                    response = WhiskError(SequenceFailed);
                    break;
                }

                if (run.Record is not { } completed)
                {
                    logs.Add(run.Id.ToString());
                    response = WhiskError($"Timeout reached when retrieving activation {run.Id} for sequence component.");
                    break;
                }

                record = completed;
            }

            logs.Add(record.ActivationId.ToString());
            duration += record.Duration ?? 0;
            if (MemoryOf(record) is { } memory)
            {
                maxMemory = Math.Max(maxMemory ?? 0, memory);
            }

            response = record.Response;
            if (atomic.Value > MaxLength)
            {
                response = ApplicationError(SequenceValidation.TooLong);
                break;
            }

            if (HasErrorMember(response.Result))
            {
                break;
            }
        }

        ExecutableAction executable = sequence.Executable;
        var annotations = new List<Parameter>(5)
        {
            new() { Key = "topmost", Value = cause is null ? RawJson.True : RawJson.False },
            new() { Key = "path", Value = RawJson.FromString(executable.Path) },
            new() { Key = "kind", Value = RawJson.FromString(Kind) },
        };
        if (cause is not null)
        {
            annotations.Add(new() { Key = "causedBy", Value = RawJson.FromString(Kind) });
        }

        if (maxMemory is { } most)
        {
            var limits = new ActionLimits { Timeout = executable.TimeoutMillis, Memory = most, Logs = executable.LogsMegabytes, Concurrency = executable.Concurrency };
            annotations.Add(new() { Key = "limits", Value = RawJson.FromTrusted(JsonModel.ToUtf8Bytes(limits)) });
        }

        var sequenceRecord = new ActivationRecord
        {
            Namespace = key.Namespace,
            Name = sequence.Name,
            Subject = key.Namespace,
            ActivationId = id,
            Start = start,
            End = time.GetUtcNow().ToUnixTimeMilliseconds(),
            // The topmost sequence has no cause; an inner one has the sequence that ran it.
            Cause = cause,
            Response = response,
            Logs = [.. logs],
            Version = sequence.Version,
            Annotations = [.. annotations],
            Duration = duration,
        };
        await records.StoreAsync(sequenceRecord, CancellationToken.None);
        return sequenceRecord;
    }

    private const string SequenceFailed = "Sequence failed.";

    private static ActivationResponse ApplicationError(string message) => Error(ActivationStatus.ApplicationError, message);

    private static ActivationResponse WhiskError(string message) => Error(ActivationStatus.WhiskError, message);

    private static ActivationResponse Error(ActivationStatus status, string message)
    {
        var output = new ArrayBufferWriter<byte>();
        var writer = new JsonWriter(output);
        writer.WriteRaw("{\"error\":"u8);
        writer.WriteString(message);
        writer.WriteByte((byte)'}');
        writer.Flush();
        return new ActivationResponse { StatusCode = (int)status, Result = RawJson.FromTrusted(output.WrittenMemory) };
    }

    /// <summary>OpenWhisk stops a sequence at a result that is an object with an <c>error</c> member.</summary>
    private static bool HasErrorMember(RawJson? result)
    {
        if (result is not { IsEmpty: false } json)
        {
            return false;
        }

        var reader = new Utf8JsonReader(json.Utf8.Span);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return false;
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("error"u8))
            {
                return true;
            }

            reader.Read();
            reader.Skip();
        }

        return false;
    }

    /// <summary>The <c>memory</c> of a component record's <c>limits</c> annotation.</summary>
    private static int? MemoryOf(ActivationRecord record)
    {
        foreach (Parameter annotation in record.Annotations)
        {
            if (annotation.Key == "limits")
            {
                var reader = new Utf8JsonReader(annotation.Value.Utf8.Span);
                while (reader.Read())
                {
                    if (reader.TokenType == JsonTokenType.PropertyName && reader.CurrentDepth == 1 && reader.ValueTextEquals("memory"u8))
                    {
                        reader.Read();
                        return reader.TryGetInt32(out int memory) ? memory : null;
                    }
                }
            }
        }

        return null;
    }

    /// <summary>The atomic actions run so far since the topmost sequence started, shared with its inner sequences.</summary>
    private sealed class Counter
    {
        public int Value { get; set; }
    }
}
