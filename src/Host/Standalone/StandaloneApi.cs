using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Http.Features;
using Perf.Invoker.Acknowledgements;
using Perf.Invoker.Feed.Embedded;
using Perf.Invoker.Invocation;
using Perf.Invoker.Json;
using Perf.Invoker.Model;
using Perf.Invoker.Store;

namespace Perf.Invoker.Host.Standalone;

/// <summary>
/// The REST subset of docs/openwhisk.md §7 over the embedded store and feed: actions create/update/get/list/delete,
/// invoke (blocking, non-blocking, result only, 202 after the blocking wait) and activations list/get/logs/result.
/// Every request carries basic auth; a key sees only its own namespace (<c>_</c> names it), another namespace
/// in the path is 403 and another namespace's activation id is 404. Errors are OpenWhisk's JSON
/// <c>{"error":…,"code":…}</c>, never a stack trace.
/// </summary>
internal sealed class StandaloneApi(
    NamespaceKeys keys,
    SqliteActionStore actions,
    SqliteActivationStore records,
    EmbeddedActivationFeed feed,
    ActivationWaiters waiters,
    ActionValidation validation,
    Func<bool> isEnabled)
{
    /// <summary>OpenWhisk's payload limit of an invocation (whisk.activation.payload.max).</summary>
    public const int MaxPayloadBytes = 1024 * 1024;

    /// <summary>
    /// OpenWhisk's limit on an action document, code included (48 MiB), less room for the /init envelope: the runtime
    /// takes bodies up to 48 MiB (as OpenWhisk's does), and /init carries the code, as escaped as the document had it,
    /// plus the name, main and environment (a few KiB). At the full 48 MiB an action would be stored but never start.
    /// </summary>
    public const int MaxActionBytes = (48 * 1024 * 1024) - (64 * 1024);

    /// <summary>A blocking invocation answers 202 with the activation id after this (docs/openwhisk.md §7).</summary>
    public static readonly TimeSpan MaxBlockingWait = TimeSpan.FromSeconds(60);

    public const int DefaultListLimit = 30;
    public const int MaxListLimit = 200;

    private static readonly ControllerInstanceId s_controller = new() { AsString = "0", InstanceType = "controller" };

    private delegate Task AuthorizedHandler(HttpContext context, NamespaceKey key);

    public void Map(IEndpointRouteBuilder app)
    {
        const string Namespace = "/api/v1/namespaces/{namespace}";
        app.MapGet("/api/v1/namespaces", Authorized(ListNamespacesAsync, checkNamespace: false));
        app.MapGet(Namespace + "/actions", Authorized(ListActionsAsync));
        app.MapPut(Namespace + "/actions/{name}", Authorized(PutActionAsync));
        app.MapGet(Namespace + "/actions/{name}", Authorized(GetActionAsync));
        app.MapDelete(Namespace + "/actions/{name}", Authorized(DeleteActionAsync));
        app.MapPost(Namespace + "/actions/{name}", Authorized(InvokeAsync));
        app.MapGet(Namespace + "/activations", Authorized(ListActivationsAsync));
        app.MapGet(Namespace + "/activations/{id}", Authorized((c, k) => GetActivationAsync(c, k, ActivationPart.Record)));
        app.MapGet(Namespace + "/activations/{id}/logs", Authorized((c, k) => GetActivationAsync(c, k, ActivationPart.Logs)));
        app.MapGet(Namespace + "/activations/{id}/result", Authorized((c, k) => GetActivationAsync(c, k, ActivationPart.Result)));
        // Packages, triggers, rules and anything else this subset does not serve: OpenWhisk's 404, in JSON.
        app.MapFallback(static context => ErrorAsync(context, StatusCodes.Status404NotFound, ApiErrors.NotFound));
    }

    private RequestDelegate Authorized(AuthorizedHandler handler, bool checkNamespace = true) => async context =>
    {
        // Kestrel's own body limit is off for these routes: each handler enforces its own and answers 413 in JSON.
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } bodyLimit)
        {
            bodyLimit.MaxRequestBodySize = null;
        }

        try
        {
            if (keys.Authenticate(context.Request.Headers.Authorization) is not { } key)
            {
                context.Response.Headers.WWWAuthenticate = "Basic realm=\"invoker\"";
                await ErrorAsync(context, StatusCodes.Status401Unauthorized, ApiErrors.Unauthenticated);
                return;
            }

            if (checkNamespace && Route(context, "namespace") is var ns && ns != "_" && ns != key.Namespace)
            {
                await ErrorAsync(context, StatusCodes.Status403Forbidden, ApiErrors.Forbidden);
                return;
            }

            await handler(context, key);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The caller went away; nothing to answer.
        }
        catch (BadHttpRequestException e)
        {
            // Kestrel found the request itself broken while the body was read (chunk framing, a body too slow to
            // arrive): the caller's fault, with Kestrel's status and reason, not a fault of the invoker.
            if (!context.Response.HasStarted)
            {
                await ErrorAsync(context, e.StatusCode, ApiErrors.Malformed(e.Message));
            }
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"{context.Request.Method} {context.Request.Path}: {e.GetType().Name}: {e.Message}");
            if (!context.Response.HasStarted)
            {
                await ErrorAsync(context, StatusCodes.Status500InternalServerError, ApiErrors.Internal);
            }
        }
    };

    private static async Task ListNamespacesAsync(HttpContext context, NamespaceKey key)
    {
        Start(context, StatusCodes.Status200OK);
        var writer = new JsonWriter(context.Response.BodyWriter);
        writer.WriteByte((byte)'[');
        writer.WriteString(key.Namespace);
        writer.WriteByte((byte)']');
        writer.Flush();
        await context.Response.BodyWriter.FlushAsync(context.RequestAborted);
    }

    private async Task ListActionsAsync(HttpContext context, NamespaceKey key)
    {
        if (!TryPaging(context, out int limit, out int skip, out string? error))
        {
            await ErrorAsync(context, StatusCodes.Status400BadRequest, error);
            return;
        }

        IReadOnlyList<StoredAction> list = await actions.ListAsync(key.Namespace, limit, skip, context.RequestAborted);
        await WriteArrayAsync(context, list, static action => Describe(action, includeCode: false));
    }

    private async Task PutActionAsync(HttpContext context, NamespaceKey key)
    {
        if (!TryName(context, out string? name))
        {
            await ErrorAsync(context, StatusCodes.Status400BadRequest, ApiErrors.BadName("action", name));
            return;
        }

        if (!TryFlag(context.Request.Query, "overwrite", out bool overwrite, out string? badFlag))
        {
            await ErrorAsync(context, StatusCodes.Status400BadRequest, badFlag);
            return;
        }

        if (await ReadBodyAsync(context, MaxActionBytes) is not { } body)
        {
            return;
        }

        ActionSpec spec;
        try
        {
            spec = JsonModel.Read<ActionSpec>(body);
        }
        catch (JsonReadException e)
        {
            await ErrorAsync(context, StatusCodes.Status400BadRequest, ApiErrors.Malformed(e.Message));
            return;
        }

        if (validation.Check(spec) is { } invalid)
        {
            await ErrorAsync(context, StatusCodes.Status400BadRequest, invalid);
            return;
        }

        if (await actions.PutAsync(key.Namespace, name, spec, overwrite, context.RequestAborted) is not { } stored)
        {
            await ErrorAsync(context, StatusCodes.Status409Conflict, ApiErrors.Conflict);
            return;
        }

        await WriteAsync(context, StatusCodes.Status200OK, Describe(stored, includeCode: true));
    }

    private async Task GetActionAsync(HttpContext context, NamespaceKey key)
    {
        if (!TryFlag(context.Request.Query, "code", out bool includeCode, out string? badFlag, absent: true))
        {
            await ErrorAsync(context, StatusCodes.Status400BadRequest, badFlag);
            return;
        }

        if (await FindActionAsync(context, key) is { } action)
        {
            await WriteAsync(context, StatusCodes.Status200OK, Describe(action, includeCode));
        }
    }

    private async Task DeleteActionAsync(HttpContext context, NamespaceKey key)
    {
        if (await FindActionAsync(context, key) is not { } action)
        {
            return;
        }

        if (!await actions.DeleteAsync(key.Namespace, action.Name, context.RequestAborted))
        {
            await ErrorAsync(context, StatusCodes.Status404NotFound, ApiErrors.NotFound);
            return;
        }

        await WriteAsync(context, StatusCodes.Status200OK, Describe(action, includeCode: false));
    }

    private async Task InvokeAsync(HttpContext context, NamespaceKey key)
    {
        if (await FindActionAsync(context, key) is not { } action)
        {
            return;
        }

        if (!isEnabled())
        {
            await ErrorAsync(context, StatusCodes.Status503ServiceUnavailable, ApiErrors.Disabled);
            return;
        }

        if (await ReadBodyAsync(context, MaxPayloadBytes) is not { } body)
        {
            return;
        }

        if (InvocationContent.Merge(action.Spec.Parameters, body, out string? malformed) is not { } content)
        {
            await ErrorAsync(context, StatusCodes.Status400BadRequest, ApiErrors.Malformed(malformed!));
            return;
        }

        IQueryCollection query = context.Request.Query;
        if (!TryFlag(query, "blocking", out bool blocking, out string? badFlag) || !TryFlag(query, "result", out bool resultOnly, out badFlag))
        {
            await ErrorAsync(context, StatusCodes.Status400BadRequest, badFlag);
            return;
        }

        TimeSpan wait = MaxBlockingWait;
        if (query["timeout"] is [{ } timeoutText])
        {
            if (!int.TryParse(timeoutText, NumberStyles.None, CultureInfo.InvariantCulture, out int timeoutMillis))
            {
                await ErrorAsync(context, StatusCodes.Status400BadRequest, $"timeout must be a number of milliseconds, got '{timeoutText}'");
                return;
            }

            wait = TimeSpan.FromMilliseconds(Math.Min(timeoutMillis, MaxBlockingWait.TotalMilliseconds));
        }

        ExecutableAction executable = action.Executable;
        var message = new ActivationMessage
        {
            Transid = new TransactionId { Id = ActivationId.NewId().ToString(), StartMillis = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() },
            Action = new FullyQualifiedEntityName { Path = action.Namespace, Name = action.Name, Version = executable.Version },
            Revision = action.Revision.ToString(CultureInfo.InvariantCulture),
            User = new Identity
            {
                Subject = key.Namespace,
                Namespace = new Namespace { Name = key.Namespace, Uuid = key.Uuid },
                Authkey = new AuthKey { ApiKey = key.ApiKey },
                Rights = Privileges.All,
                Limits = RawJson.EmptyObject,
            },
            ActivationId = ActivationId.NewId(),
            RootControllerIndex = s_controller,
            Blocking = blocking,
            Content = content,
        };

        // The action's default parameters ride in the message beside the request's: a message over what the handler
        // reads would be accepted only to end as a whisk error, so it is refused here, before it is durable.
        byte[] serialized = JsonModel.ToUtf8Bytes(message);
        if (serialized.Length > ActivationMessageHandler.MaxMessageBytes)
        {
            await ErrorAsync(context, StatusCodes.Status413PayloadTooLarge, ApiErrors.TooLargeWithDefaults(serialized.Length, ActivationMessageHandler.MaxMessageBytes));
            return;
        }

        context.Response.Headers["x-openwhisk-activation-id"] = message.ActivationId.ToString();
        // Registered before the enqueue, so a fast activation's ack cannot arrive before anyone waits for it.
        Task<ActivationRecord?>? completion = blocking ? waiters.Register(message.ActivationId) : null;
        try
        {
            // Durable before the answer: from here on a crash replays the activation instead of losing it.
            await feed.EnqueueAsync(serialized, context.RequestAborted);
            if (completion is null)
            {
                await WriteActivationIdAsync(context, message.ActivationId);
                return;
            }

            ActivationRecord? record;
            try
            {
                record = await completion.WaitAsync(wait, context.RequestAborted);
            }
            catch (TimeoutException)
            {
                await WriteActivationIdAsync(context, message.ActivationId);
                return;
            }

            record ??= await records.FindAsync(message.ActivationId, context.RequestAborted);
            if (record is null)
            {
                await WriteActivationIdAsync(context, message.ActivationId);
                return;
            }

            int status = record.Response.Status switch
            {
                ActivationStatus.Success => StatusCodes.Status200OK,
                ActivationStatus.WhiskError => StatusCodes.Status500InternalServerError,
                _ => StatusCodes.Status502BadGateway,
            };
            if (resultOnly)
            {
                await WriteRawAsync(context, status, record.Response.Result ?? RawJson.EmptyObject);
            }
            else
            {
                await WriteAsync(context, status, ActivationDocument.Of(record));
            }
        }
        finally
        {
            waiters.Forget(message.ActivationId);
        }
    }

    private async Task ListActivationsAsync(HttpContext context, NamespaceKey key)
    {
        if (!TryPaging(context, out int limit, out int skip, out string? error))
        {
            await ErrorAsync(context, StatusCodes.Status400BadRequest, error);
            return;
        }

        string? name = context.Request.Query["name"] is [{ Length: > 0 } n] ? n : null;
        IReadOnlyList<ActivationRecord> list = await records.ListAsync(key.Namespace, name, limit, skip, context.RequestAborted);
        await WriteArrayAsync(context, list, ActivationDocument.Of);
    }

    private async Task GetActivationAsync(HttpContext context, NamespaceKey key, ActivationPart part)
    {
        // Another namespace's activation is indistinguishable from one that does not exist.
        if (!ActivationId.TryParse(Route(context, "id"), out ActivationId id) ||
            await records.FindAsync(id, context.RequestAborted) is not { } record ||
            record.Namespace != key.Namespace)
        {
            await ErrorAsync(context, StatusCodes.Status404NotFound, ApiErrors.NotFound);
            return;
        }

        switch (part)
        {
            case ActivationPart.Record:
                await WriteAsync(context, StatusCodes.Status200OK, ActivationDocument.Of(record));
                break;
            case ActivationPart.Logs:
                await WriteAsync(context, StatusCodes.Status200OK, new ActivationLogsDocument { Logs = record.Logs });
                break;
            default:
                await WriteAsync(context, StatusCodes.Status200OK, ResponseDocument.Of(record.Response));
                break;
        }
    }

    private async Task<StoredAction?> FindActionAsync(HttpContext context, NamespaceKey key)
    {
        if (!TryName(context, out string? name))
        {
            await ErrorAsync(context, StatusCodes.Status400BadRequest, ApiErrors.BadName("action", name));
            return null;
        }

        StoredAction? action = await actions.GetAsync(key.Namespace, name, context.RequestAborted);
        if (action is null)
        {
            await ErrorAsync(context, StatusCodes.Status404NotFound, ApiErrors.NotFound);
        }

        return action;
    }

    /// <summary>The request body, or null after answering 413 when it is over <paramref name="limit"/>.</summary>
    private static async Task<byte[]?> ReadBodyAsync(HttpContext context, int limit)
    {
        if (context.Request.ContentLength is { } declared && declared > limit)
        {
            await ErrorAsync(context, StatusCodes.Status413PayloadTooLarge, ApiErrors.TooLarge(declared, limit));
            return null;
        }

        var reader = context.Request.BodyReader;
        while (true)
        {
            ReadResult read = await reader.ReadAsync(context.RequestAborted);
            if (read.Buffer.Length > limit)
            {
                long length = read.Buffer.Length;
                reader.AdvanceTo(read.Buffer.End);
                await ErrorAsync(context, StatusCodes.Status413PayloadTooLarge, ApiErrors.TooLarge(length, limit));
                return null;
            }

            if (read.IsCompleted)
            {
                byte[] body = read.Buffer.ToArray();
                reader.AdvanceTo(read.Buffer.End);
                return body;
            }

            reader.AdvanceTo(read.Buffer.Start, read.Buffer.End);
        }
    }

    private static bool TryName(HttpContext context, out string name)
    {
        name = Route(context, "name");
        return ApiPaths.IsEntityName(name);
    }

    private static bool TryPaging(HttpContext context, out int limit, out int skip, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out string? error)
    {
        limit = DefaultListLimit;
        skip = 0;
        error = null;
        IQueryCollection query = context.Request.Query;
        if (query["limit"] is [{ } l] && (!int.TryParse(l, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit > MaxListLimit))
        {
            error = $"limit must be a number from 0 to {MaxListLimit}, got '{l}'";
            return false;
        }

        if (query["skip"] is [{ } s] && !int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out skip))
        {
            error = $"skip must be a non-negative number, got '{s}'";
            return false;
        }

        // OpenWhisk reads limit=0 as "the default".
        limit = limit == 0 ? DefaultListLimit : limit;
        return true;
    }

    /// <summary>
    /// A boolean query parameter as OpenWhisk's controller reads it (akka-http's Boolean unmarshaller): true, yes, on, 1
    /// or false, no, off, 0 in any case; absent or empty is <paramref name="absent"/>, anything else a 400 with its words.
    /// </summary>
    private static bool TryFlag(IQueryCollection query, string name, out bool value, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out string? error, bool absent = false)
    {
        error = null;
        value = absent;
        Microsoft.Extensions.Primitives.StringValues values = query[name];
        string text = values.Count > 0 ? values[0] ?? string.Empty : string.Empty;
        if (text.Length == 0)
        {
            return true;
        }

        if (text.Equals("true", StringComparison.OrdinalIgnoreCase) || text.Equals("yes", StringComparison.OrdinalIgnoreCase) ||
            text.Equals("on", StringComparison.OrdinalIgnoreCase) || text == "1")
        {
            value = true;
            return true;
        }

        if (text.Equals("false", StringComparison.OrdinalIgnoreCase) || text.Equals("no", StringComparison.OrdinalIgnoreCase) ||
            text.Equals("off", StringComparison.OrdinalIgnoreCase) || text == "0")
        {
            value = false;
            return true;
        }

        error = $"The query parameter '{name}' was malformed:\n'{text}' is not a valid Boolean value";
        return false;
    }

    private static string Route(HttpContext context, string name) => context.Request.RouteValues[name] as string ?? string.Empty;

    private static ActionSpec Describe(StoredAction action, bool includeCode)
    {
        ExecutableAction executable = action.Executable;
        return new ActionSpec
        {
            Namespace = action.Namespace,
            Name = action.Name,
            Version = executable.Version,
            Exec = new ActionExec
            {
                Kind = executable.Kind,
                Code = includeCode ? executable.Code : null,
                Main = action.Spec.Exec.Main,
                Binary = executable.Binary,
            },
            Limits = new ActionLimits
            {
                Timeout = executable.TimeoutMillis,
                Memory = executable.MemoryMegabytes,
                Logs = executable.LogsMegabytes,
                Concurrency = executable.Concurrency,
            },
            Parameters = action.Spec.Parameters ?? [],
            Annotations = action.Spec.Annotations ?? [],
            Publish = action.Spec.Publish ?? false,
        };
    }

    private static void Start(HttpContext context, int status)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
    }

    private static async Task WriteAsync<T>(HttpContext context, int status, T value) where T : IJsonValue<T>
    {
        Start(context, status);
        JsonModel.Write(context.Response.BodyWriter, value);
        await context.Response.BodyWriter.FlushAsync(context.RequestAborted);
    }

    private static async Task WriteRawAsync(HttpContext context, int status, RawJson json)
    {
        Start(context, status);
        await context.Response.BodyWriter.WriteAsync(json.Utf8, context.RequestAborted);
    }

    private static async Task WriteArrayAsync<TItem, T>(HttpContext context, IReadOnlyList<TItem> items, Func<TItem, T> select) where T : IJsonValue<T>
    {
        Start(context, StatusCodes.Status200OK);
        IBufferWriter<byte> output = context.Response.BodyWriter;
        output.Write("["u8);
        for (int i = 0; i < items.Count; i++)
        {
            if (i > 0)
            {
                output.Write(","u8);
            }

            JsonModel.Write(output, select(items[i]));
        }

        output.Write("]"u8);
        await context.Response.BodyWriter.FlushAsync(context.RequestAborted);
    }

    private static Task WriteActivationIdAsync(HttpContext context, ActivationId id) =>
        WriteAsync(context, StatusCodes.Status202Accepted, new ActivationIdDocument { ActivationId = id });

    /// <summary>OpenWhisk's error body: the message and a code to quote when reporting it.</summary>
    public static Task ErrorAsync(HttpContext context, int status, string message) =>
        WriteAsync(context, status, new ErrorDocument { Error = message, Code = context.TraceIdentifier });

    private enum ActivationPart
    {
        Record,
        Logs,
        Result,
    }
}
