using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.Features;
using Perf.Invoker.Json;
using Perf.Invoker.Model;
using Perf.Invoker.Store;

namespace Perf.Invoker.Host.Standalone;

/// <summary>
/// <c>/api/v1/web/{namespace}/{package|default}/{action}[.http|.json|.html|.svg|.text][/path]</c>, any of OpenWhisk's
/// verbs, without basic auth (WebActions.scala): actions annotated <c>web-export: true</c> run for anyone, on behalf of
/// the namespace that owns them, with the request as their input (<see cref="WebActionContent"/>) and their result as the
/// response (<see cref="WebActionResponse"/>). <c>require-whisk-auth</c> asks for a secret in <c>X-Require-Whisk-Auth</c>,
/// or (<c>true</c>) for the caller's own valid key; <c>final: true</c> keeps the action's parameters from being
/// overridden; <c>raw-http</c> passes the query and body as they came; <c>web-custom-options: true</c> lets the action
/// answer OPTIONS and CORS itself. A namespace, package or action that does not exist, and an action that is not
/// exported, are one and the same 404.
/// </summary>
internal sealed class WebActionEndpoints(NamespaceKeys keys, QualifiedActions resolver, ActivationRunner runner, SequenceRunner sequences, Func<bool> isEnabled)
{
    public const string ResponseNotReady = "Response not yet ready.";
    public const string ErrorProcessingRequest = "There was an error processing your request.";

    private static readonly string[] s_methods = ["GET", "DELETE", "POST", "PUT", "HEAD", "OPTIONS", "PATCH"];

    private readonly Dictionary<string, NamespaceKey> _owners = keys.All.ToDictionary(key => key.Namespace, StringComparer.Ordinal);

    public void Map(IEndpointRouteBuilder app) =>
        app.MapMethods("/api/v1/web/{namespace}/{package}/{action}/{**path}", s_methods, context => GuardedAsync(context, ServeRouteAsync));

    /// <summary>
    /// Runs <paramref name="handler"/> as the REST API runs its handlers: Kestrel's body limit off (the handler answers
    /// 413 itself), a caller that went away ends quietly, and a fault of the invoker is OpenWhisk's 500, logged.
    /// </summary>
    public static async Task GuardedAsync(HttpContext context, RequestDelegate handler)
    {
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } bodyLimit)
        {
            bodyLimit.MaxRequestBodySize = null;
        }

        try
        {
            await handler(context);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
        }
        catch (BadHttpRequestException e)
        {
            if (!context.Response.HasStarted)
            {
                await ApiResponses.ErrorAsync(context, e.StatusCode, ApiErrors.Malformed(e.Message));
            }
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"{context.Request.Method} {context.Request.Path}: {e.GetType().Name}: {e.Message}");
            if (!context.Response.HasStarted)
            {
                await ApiResponses.ErrorAsync(context, StatusCodes.Status500InternalServerError, ApiErrors.Internal);
            }
        }
    }

    private Task ServeRouteAsync(HttpContext context)
    {
        // The path after the action's segment, as the action sees it (__ow_path): "" or "/…", as the request wrote it.
        string rest = RequestReader.Route(context, "path");
        string path = rest.Length > 0 || context.Request.Path.Value!.EndsWith('/') ? "/" + rest : "";
        return ServeAsync(context, RequestReader.Route(context, "namespace"), RequestReader.Route(context, "package"), RequestReader.Route(context, "action"), path, []);
    }

    /// <summary>
    /// Serves the web action <paramref name="actionSegment"/> (its name and extension) of <paramref name="package"/>
    /// (<c>default</c> for none) in <paramref name="namespace"/>; <paramref name="addedHeaders"/> are headers the API
    /// gateway adds to the request (the route's <c>X-Require-Whisk-Auth</c>).
    /// </summary>
    public async Task ServeAsync(HttpContext context, string @namespace, string package, string actionSegment, string path, IReadOnlyList<KeyValuePair<string, string>> addedHeaders)
    {
        string extension = Array.Find(WebActionResponse.Extensions, e => actionSegment.EndsWith(e, StringComparison.Ordinal)) ?? ".http";
        string name = actionSegment.EndsWith(extension, StringComparison.Ordinal) ? actionSegment[..^extension.Length] : actionSegment;
        if (!ApiPaths.IsEntityName(@namespace) || !ApiPaths.IsEntityName(package) || !ApiPaths.IsEntityName(name) ||
            !_owners.TryGetValue(@namespace, out NamespaceKey? owner) ||
            await resolver.FindAsync(@namespace, package == ActionResolver.DefaultPackage ? null : package, name, context.RequestAborted) is not { Action: { } action } resolved ||
            !IsTrue(action.Spec.Annotations, "web-export"))
        {
            await ApiResponses.ErrorAsync(context, StatusCodes.Status404NotFound, ApiErrors.NotFound);
            return;
        }

        // A valid key makes the caller known (__ow_user, require-whisk-auth: true); a wrong one is no one, not a 401.
        NamespaceKey? caller = keys.Authenticate(context.Request.Headers.Authorization);
        bool options = HttpMethods.IsOptions(context.Request.Method);
        if (!IsTrue(action.Spec.Annotations, "web-custom-options"))
        {
            string? requested = context.Request.Headers.AccessControlRequestHeaders;
            context.Response.Headers.AccessControlAllowOrigin = "*";
            context.Response.Headers.AccessControlAllowMethods = "OPTIONS, GET, DELETE, POST, PUT, HEAD, PATCH";
            context.Response.Headers.AccessControlAllowHeaders = string.IsNullOrEmpty(requested) ? "Authorization, Origin, X-Requested-With, Content-Type, Accept, User-Agent" : requested;
            if (options)
            {
                context.Response.StatusCode = StatusCodes.Status200OK;
                return;
            }
        }

        if (!options && !Authenticated(action.Spec.Annotations, context.Request.Headers, addedHeaders, caller))
        {
            await ApiResponses.ErrorAsync(context, StatusCodes.Status401Unauthorized, ApiErrors.Unauthenticated);
            return;
        }

        if (!isEnabled())
        {
            await ApiResponses.ErrorAsync(context, StatusCodes.Status503ServiceUnavailable, ApiErrors.Disabled);
            return;
        }

        if (await RequestReader.ReadBodyAsync(context, InvokeEndpoint.MaxPayloadBytes) is not { } body)
        {
            return;
        }

        bool sequence = SequenceRunner.IsSequence(action.Spec);
        string[] finalParameters = IsTrue(action.Spec.Annotations, "final") ? Defined(resolved.Parameters) : [];
        if (WebActionContent.Build(context.Request, body, IsTrue(action.Spec.Annotations, "raw-http"), path, caller?.Namespace, addedHeaders, finalParameters, out string? refused) is not { } request ||
            InvocationContent.Merge(sequence ? null : resolved.Parameters, request, out refused) is not { } content)
        {
            await ApiResponses.ErrorAsync(context, StatusCodes.Status400BadRequest, refused!);
            return;
        }

        ActivationRecord? record;
        ActivationId id;
        if (sequence)
        {
            id = ActivationId.NewId();
            try
            {
                record = await sequences.StartAsync(owner, action, content, id).WaitAsync(InvokeEndpoint.MaxBlockingWait, context.RequestAborted);
            }
            catch (TimeoutException)
            {
                record = null;
            }
        }
        else
        {
            InternalRun run = await runner.InvokeAsync(action, owner, content, cause: null, InvokeEndpoint.MaxBlockingWait, context.RequestAborted);
            if (run.TooLarge)
            {
                await ApiResponses.ErrorAsync(context, StatusCodes.Status413PayloadTooLarge, ApiErrors.TooLargeWithDefaults(run.MessageBytes, Invocation.ActivationMessageHandler.MaxMessageBytes));
                return;
            }

            (id, record) = (run.Id, run.Record);
        }

        context.Response.Headers["x-openwhisk-activation-id"] = id.ToString();
        if (record is null)
        {
            await ApiResponses.ErrorAsync(context, StatusCodes.Status202Accepted, ResponseNotReady);
            return;
        }

        ActivationResponse response = record.Response;
        if (!response.IsSuccess && response.Status != ActivationStatus.ApplicationError)
        {
            await ApiResponses.ErrorAsync(context, StatusCodes.Status400BadRequest, ErrorProcessingRequest);
            return;
        }

        JsonNode? result = response.Result is { IsEmpty: false } json ? JsonNode.Parse(json.Utf8.Span) : new JsonObject();
        if (!response.IsSuccess)
        {
            // An application error answers with its error member, in the form the extension asks for.
            if (result is not JsonObject fields || !fields.TryGetPropertyValue("error", out result))
            {
                await ApiResponses.ErrorAsync(context, StatusCodes.Status404NotFound, WebActionResponse.PropertyNotFound);
                return;
            }
        }

        await WebActionResponse.WriteAsync(context, extension, result);
    }

    /// <summary>
    /// OpenWhisk's require-whisk-auth: absent, anyone; a string or number, the same in X-Require-Whisk-Auth; true, a caller
    /// with a valid key; anything else, no one.
    /// </summary>
    private static bool Authenticated(Parameter[]? annotations, IHeaderDictionary headers, IReadOnlyList<KeyValuePair<string, string>> addedHeaders, NamespaceKey? caller)
    {
        if (Find(annotations, "require-whisk-auth") is not { } required)
        {
            return true;
        }

        string? given = addedHeaders.LastOrDefault(h => h.Key.Equals("X-Require-Whisk-Auth", StringComparison.OrdinalIgnoreCase)).Value
            ?? (headers.TryGetValue("X-Require-Whisk-Auth", out var value) ? value.ToString() : null);
        var reader = new Utf8JsonReader(required.Utf8.Span);
        reader.Read();
        return reader.TokenType switch
        {
            JsonTokenType.String => given == reader.GetString(),
            JsonTokenType.Number => given == required.ToString(),
            JsonTokenType.True => caller is not null,
            _ => false,
        };
    }

    private static RawJson? Find(Parameter[]? annotations, string key)
    {
        foreach (Parameter annotation in annotations ?? [])
        {
            if (annotation.Key == key)
            {
                return annotation.Value;
            }
        }

        return null;
    }

    /// <summary>An annotation whose value is JSON <c>true</c> (OpenWhisk reads these as booleans).</summary>
    private static bool IsTrue(Parameter[]? annotations, string key) => Find(annotations, key) is { } value && value.Utf8.Span.SequenceEqual("true"u8);

    /// <summary>OpenWhisk's definedParameters: the names of parameters with a value other than null.</summary>
    private static string[] Defined(Parameter[]? parameters) =>
        [.. (parameters ?? []).Where(p => !p.Value.Utf8.Span.SequenceEqual("null"u8)).Select(p => p.Key)];
}
