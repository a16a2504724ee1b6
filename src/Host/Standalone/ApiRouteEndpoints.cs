using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Perf.Invoker.Store;

namespace Perf.Invoker.Host.Standalone;

/// <summary>
/// API routes, as far as the openwhisk client's <c>routes</c> and Serverless Framework's <c>http:</c> events use them: the
/// route management web actions <c>/api/v1/web/whisk.system/apimgmt/createApi|getApi|deleteApi</c> (answers as OpenWhisk's
/// routemgmt actions give them, errors 502 <c>{"error":…}</c>), a swagger document per namespace and base path in the
/// store, and the gateway itself on the same port: <c>/api/{tenant}/{basepath}/{relpath}</c> with the route's verb serves
/// the route's web action (<see cref="WebActionEndpoints.ServeAsync"/>) with the headers the route sets. The tenant is a
/// fixed hash of the namespace, so the gateway's paths never meet <c>/api/v1</c>; <c>gwApiUrl</c> is
/// <c>http://HOST:PORT/api/{tenant}{basepath}</c>.
/// </summary>
internal sealed class ApiRouteEndpoints(NamespaceKeys keys, SqliteApiStore apis, WebActionEndpoints web)
{
    private static readonly string[] s_methods = ["GET", "DELETE", "POST", "PUT", "HEAD", "OPTIONS", "PATCH"];

    private readonly Dictionary<string, string> _namespaceByTenant = keys.All.ToDictionary(key => Tenant(key.Namespace), key => key.Namespace, StringComparer.Ordinal);

    public void Map(IEndpointRouteBuilder app)
    {
        app.MapMethods("/api/v1/web/whisk.system/apimgmt/{operation}", s_methods, context => WebActionEndpoints.GuardedAsync(context, ManageAsync));
        app.MapMethods("/api/{tenant}/{**path}", s_methods, context => WebActionEndpoints.GuardedAsync(context, RouteAsync));
    }

    /// <summary>The gateway's tenant of <paramref name="namespace"/>: the first 16 bytes of a SHA-256, in hex.</summary>
    public static string Tenant(string @namespace) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("apigw:" + @namespace)))[..32];

    private async Task ManageAsync(HttpContext context)
    {
        string operation = RequestReader.Route(context, "operation");
        operation = Array.Find(WebActionResponse.Extensions, e => operation.EndsWith(e, StringComparison.Ordinal)) is { } extension ? operation[..^extension.Length] : operation;
        if (operation is not ("createApi" or "getApi" or "deleteApi"))
        {
            await ApiResponses.ErrorAsync(context, StatusCodes.Status404NotFound, ApiErrors.NotFound);
            return;
        }

        // The routemgmt actions act for the caller's namespace; OpenWhisk deploys them requiring the caller's key.
        if (keys.Authenticate(context.Request.Headers.Authorization) is not { } caller)
        {
            await ApiResponses.ErrorAsync(context, StatusCodes.Status401Unauthorized, ApiErrors.Unauthenticated);
            return;
        }

        IQueryCollection query = context.Request.Query;
        string gateway = $"{context.Request.Scheme}://{context.Request.Host}/api/{Tenant(caller.Namespace)}";
        switch (operation)
        {
            case "createApi":
                if (await RequestReader.ReadBodyAsync(context, InvokeEndpoint.MaxPayloadBytes) is not { } body)
                {
                    return;
                }

                JsonObject? created = Create(context, caller.Namespace, body, query["responsetype"] is [{ Length: > 0 } type] ? type : "json", out string? refused);
                if (created is null)
                {
                    await FailAsync(context, refused!);
                    return;
                }

                string basePath = (string)created["basePath"]!;
                await apis.PutAsync(caller.Namespace, basePath, Encoding.UTF8.GetBytes(created.ToJsonString()), context.RequestAborted);
                // createApi answers the API's value alone (routemgmt's generateCliApiFromGwApi(…).value); getApi the whole.
                await JsonAsync(context, (JsonObject)CliApi(gateway, basePath, created)["value"]!.DeepClone());
                return;

            case "getApi":
                string? wanted = query["basepath"] is [{ Length: > 0 } b] ? b : null;
                var found = new JsonArray();
                foreach ((string path, JsonObject doc) in Apis(caller.Namespace, wanted))
                {
                    found.Add((JsonNode)CliApi(gateway, path, doc));
                }

                await JsonAsync(context, new JsonObject { ["apis"] = found });
                return;

            default:
                if (query["basepath"] is not [{ Length: > 0 } name])
                {
                    await FailAsync(context, "basepath is required.");
                    return;
                }

                if (Apis(caller.Namespace, name).FirstOrDefault() is not (string stored, JsonObject api))
                {
                    await FailAsync(context, $"API deletion failure: API '{name}' does not exist.");
                    return;
                }

                string? relpath = query["relpath"] is [{ Length: > 0 } r] ? r : null;
                string? verb = query["operation"] is [{ Length: > 0 } o] ? o.ToLowerInvariant() : null;
                if (relpath is null && verb is not null)
                {
                    await FailAsync(context, "When specifying an operation, the path is required.");
                    return;
                }

                if (relpath is not null)
                {
                    if (Remove(api, relpath, verb) is { } missing)
                    {
                        await FailAsync(context, "API deletion failure: " + missing);
                        return;
                    }

                    // An API without paths is no API any more (routemgmt deletes it then).
                    if (api["paths"] is JsonObject { Count: > 0 })
                    {
                        await apis.PutAsync(caller.Namespace, stored, Encoding.UTF8.GetBytes(api.ToJsonString()), context.RequestAborted);
                        await JsonAsync(context, new JsonObject());
                        return;
                    }
                }

                await apis.DeleteAsync(caller.Namespace, stored, context.RequestAborted);
                await JsonAsync(context, new JsonObject());
                return;
        }
    }

    /// <summary>The request on the gateway: the route's web action, or 404 when no API, path or verb of the namespace matches.</summary>
    private async Task RouteAsync(HttpContext context)
    {
        string full = "/" + RequestReader.Route(context, "path");
        if (!_namespaceByTenant.TryGetValue(RequestReader.Route(context, "tenant"), out string? @namespace))
        {
            await ApiResponses.ErrorAsync(context, StatusCodes.Status404NotFound, ApiErrors.NotFound);
            return;
        }

        string method = context.Request.Method.ToLowerInvariant();
        foreach ((string basePath, JsonObject api) in Apis(@namespace, null).OrderByDescending(a => a.BasePath.Length))
        {
            string prefix = basePath.TrimEnd('/');
            if (!full.StartsWith(prefix + "/", StringComparison.Ordinal) && full != prefix)
            {
                continue;
            }

            string relative = full[prefix.Length..];
            foreach ((string template, JsonNode? operations) in api["paths"] as JsonObject ?? [])
            {
                if (!Matches(template, relative) || operations?[method] is not JsonObject operation || operation["x-openwhisk"] is not JsonObject target)
                {
                    continue;
                }

                const string RequestPath = "$(request.path)";
                string url = (string?)target["url"] ?? "";
                string action = (string?)target["action"] ?? "";
                // A route with path parameters passes the request's path to the action, as the gateway's $(request.path) does.
                bool withPath = url.EndsWith(RequestPath, StringComparison.Ordinal);
                string path = withPath ? relative : "";
                string last = url[..^(withPath ? RequestPath.Length : 0)].Split('/')[^1];
                string extension = last.LastIndexOf('.') is var dot and > 0 ? last[dot..] : ".json";
                // "_" (a route made before its namespace was known) is the API's own namespace.
                string actionNamespace = (string?)target["namespace"] is { } ns && ns != "_" ? ns : @namespace;
                await web.ServeAsync(context, actionNamespace, (string?)target["package"] ?? "default", action + extension, path,
                    AddedHeaders(api, (string?)operation["operationId"]));
                return;
            }
        }

        await ApiResponses.ErrorAsync(context, StatusCodes.Status404NotFound, ApiErrors.NotFound);
    }

    /// <summary>A swagger path (<c>/books/{id}</c>) against a request's path relative to the base path.</summary>
    private static bool Matches(string template, string relative)
    {
        string[] expected = template.Trim('/').Split('/');
        string[] actual = relative.Trim('/').Split('/');
        if (expected.Length != actual.Length)
        {
            return false;
        }

        for (int i = 0; i < expected.Length; i++)
        {
            bool parameter = expected[i].StartsWith('{') && expected[i].EndsWith('}');
            if (parameter ? actual[i].Length == 0 : expected[i] != actual[i])
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The headers the route's assembly sets for the operation (<c>set-variable</c> of <c>message.headers.NAME</c>).</summary>
    private static List<KeyValuePair<string, string>> AddedHeaders(JsonObject api, string? operationId)
    {
        var headers = new List<KeyValuePair<string, string>>();
        if (operationId is null || api["x-ibm-configuration"]?["assembly"]?["execute"] is not JsonArray steps)
        {
            return headers;
        }

        foreach (JsonNode? step in steps)
        {
            foreach (JsonNode? branch in step?["operation-switch"]?["case"] as JsonArray ?? [])
            {
                if (branch?["operations"] is not JsonArray ops || !ops.Any(o => (string?)o == operationId))
                {
                    continue;
                }

                foreach (JsonNode? execute in branch["execute"] as JsonArray ?? [])
                {
                    foreach (JsonNode? set in execute?["set-variable"]?["actions"] as JsonArray ?? [])
                    {
                        if ((string?)set?["set"] is { } target && target.StartsWith("message.headers.", StringComparison.Ordinal) && set!["value"] is JsonValue value)
                        {
                            headers.Add(new(target["message.headers.".Length..], value.ToString()));
                        }
                    }
                }
            }
        }

        return headers;
    }

    /// <summary>The namespace's APIs, all or those whose base path (a leading '/') or name is <paramref name="basePathOrName"/>.</summary>
    private IEnumerable<(string BasePath, JsonObject Api)> Apis(string @namespace, string? basePathOrName)
    {
        foreach ((string basePath, byte[] document) in apis.List(@namespace))
        {
            if (JsonNode.Parse(document) is not JsonObject api)
            {
                continue;
            }

            if (basePathOrName is null || (basePathOrName.StartsWith('/') ? basePath == basePathOrName : (string?)api["info"]?["title"] == basePathOrName))
            {
                yield return (basePath, api);
            }
        }
    }

    /// <summary>
    /// The API after createApi: the given swagger as a whole, or the existing API of the base path (a new one) with the
    /// apidoc's endpoint added, as routemgmt's createApi builds them; null with routemgmt's words when the apidoc is not valid.
    /// </summary>
    private JsonObject? Create(HttpContext context, string @namespace, byte[] body, string responseType, out string? error)
    {
        error = null;
        JsonNode? apidoc;
        try
        {
            apidoc = body.Length == 0 ? null : JsonNode.Parse(body)?["apidoc"];
            if (apidoc is JsonValue text && text.TryGetValue(out string? json))
            {
                apidoc = JsonNode.Parse(json);
            }
        }
        catch (JsonException)
        {
            error = "apidoc field cannot be parsed. Ensure it is valid JSON.";
            return null;
        }

        if (apidoc is not JsonObject doc)
        {
            error = "apidoc is required.";
            return null;
        }

        if (doc["namespace"] is null)
        {
            error = "apidoc is missing the namespace field";
            return null;
        }

        if (doc["swagger"] is { } given)
        {
            JsonNode? swagger;
            try
            {
                swagger = given is JsonValue s && s.TryGetValue(out string? text) ? JsonNode.Parse(text) : given.DeepClone();
            }
            catch (JsonException)
            {
                error = "swagger field cannot be parsed. Ensure it is valid JSON.";
                return null;
            }

            error = doc["gatewayBasePath"] is not null ? "swagger and gatewayBasePath are mutually exclusive and cannot be specified together."
                : swagger is not JsonObject ? "swagger field is not an object or a JSON string."
                : swagger["basePath"] is null ? "swagger is missing the basePath field."
                : swagger["paths"] is null ? "swagger is missing the paths field."
                : swagger["info"] is null ? "swagger is missing the info field."
                : null;
            return error is null ? (JsonObject)swagger! : null;
        }

        JsonNode? action = doc["action"];
        error = doc["gatewayBasePath"] is null ? "apidoc is missing the gatewayBasePath field"
            : doc["gatewayPath"] is null ? "apidoc is missing the gatewayPath field"
            : doc["gatewayMethod"] is null ? "apidoc is missing the gatewayMethod field"
            : action is null ? "apidoc is missing the action field."
            : action["backendMethod"] is null ? "action is missing the backendMethod field."
            : action["backendUrl"] is null ? "action is missing the backendUrl field."
            : action["namespace"] is null ? "action is missing the namespace field."
            : action["name"] is null ? "action is missing the name field."
            : action["authkey"] is null ? "action is missing the authkey field."
            : null;
        if (error is not null)
        {
            return null;
        }

        string basePath = (string)doc["gatewayBasePath"]!;
        string relpath = (string)doc["gatewayPath"]!;
        string verb = ((string)doc["gatewayMethod"]!).ToLowerInvariant();
        // The caller's namespace replaces "_" and the apidoc's own, as routemgmt's updateNamespace does.
        string actionNamespace = (string?)action!["namespace"] is { } ns && ns != "_" && ns != (string?)doc["namespace"] ? ns : @namespace;
        string[] name = ((string)action["name"]!).Trim('/').Split('/');
        string package = name.Length > 1 ? name[^2] : "default";
        string url = $"{context.Request.Scheme}://{context.Request.Host}/api/v1/web/{actionNamespace}/{package}/{name[^1]}.{responseType}";
        string operationId = $"{verb}_{relpath}";

        JsonObject api = Apis(@namespace, basePath).FirstOrDefault().Api ?? new JsonObject
        {
            ["swagger"] = "2.0",
            ["info"] = new JsonObject { ["title"] = (string?)doc["apiName"] ?? basePath, ["version"] = "1.0.0" },
            ["basePath"] = basePath,
            ["paths"] = new JsonObject(),
        };
        var paths = (JsonObject)api["paths"]!;
        if (paths[relpath] is not JsonObject operations)
        {
            paths[relpath] = operations = [];
        }

        operations[verb] = new JsonObject
        {
            ["operationId"] = operationId,
            ["x-openwhisk"] = new JsonObject { ["namespace"] = actionNamespace, ["package"] = package, ["action"] = name[^1], ["url"] = url },
            ["responses"] = new JsonObject { ["default"] = new JsonObject { ["description"] = "Default response" } },
        };

        var execute = new JsonArray();
        if ((string?)action["secureKey"] is { } secureKey)
        {
            execute.Add((JsonNode)new JsonObject
            {
                ["set-variable"] = new JsonObject { ["actions"] = new JsonArray(new JsonObject { ["set"] = "message.headers.X-Require-Whisk-Auth", ["value"] = secureKey }) },
            });
        }

        execute.Add((JsonNode)new JsonObject { ["invoke"] = new JsonObject { ["target-url"] = url, ["verb"] = "keep" } });
        JsonArray cases = Cases(api);
        cases.Add((JsonNode)new JsonObject { ["operations"] = new JsonArray(operationId), ["execute"] = execute });
        return api;
    }

    /// <summary>The API's operation switch (its assembly's cases), made when it has none; an operation's old case is dropped.</summary>
    private static JsonArray Cases(JsonObject api)
    {
        JsonObject configuration = api["x-ibm-configuration"] as JsonObject ?? (JsonObject)(api["x-ibm-configuration"] = new JsonObject());
        JsonObject assembly = configuration["assembly"] as JsonObject ?? (JsonObject)(configuration["assembly"] = new JsonObject());
        JsonArray steps = assembly["execute"] as JsonArray ?? (JsonArray)(assembly["execute"] = new JsonArray());
        foreach (JsonNode? step in steps)
        {
            if (step?["operation-switch"]?["case"] is JsonArray existing)
            {
                return existing;
            }
        }

        var cases = new JsonArray();
        steps.Add((JsonNode)new JsonObject { ["operation-switch"] = new JsonObject { ["case"] = cases } });
        return cases;
    }

    /// <summary>Removes a path, or one verb of it, with its cases; routemgmt's words when it is not there.</summary>
    private static string? Remove(JsonObject api, string relpath, string? verb)
    {
        if (api["paths"] is not JsonObject paths || paths[relpath] is not JsonObject operations)
        {
            return verb is null ? $"path {relpath} does not exist in the API" : $"path {relpath} with operation {verb} does not exist in the API";
        }

        string[] removed;
        if (verb is null)
        {
            removed = [.. operations.Select(o => $"{o.Key}_{relpath}")];
            paths.Remove(relpath);
        }
        else
        {
            if (!operations.ContainsKey(verb))
            {
                return $"path {relpath} with operation {verb} does not exist in the API";
            }

            operations.Remove(verb);
            if (operations.Count == 0)
            {
                paths.Remove(relpath);
            }

            removed = [$"{verb}_{relpath}"];
        }

        JsonArray cases = Cases(api);
        for (int i = cases.Count - 1; i >= 0; i--)
        {
            if (cases[i]?["operations"] is JsonArray ops && ops.Any(o => removed.Contains((string?)o)))
            {
                cases.RemoveAt(i);
            }
        }

        return null;
    }

    /// <summary>An API as routemgmt answers it to the CLI and clients.</summary>
    private static JsonObject CliApi(string gateway, string basePath, JsonObject api) => new()
    {
        ["id"] = "Not Used",
        ["key"] = "Not Used",
        ["value"] = new JsonObject
        {
            ["namespace"] = "Not Used",
            ["gwApiActivated"] = true,
            ["tenantId"] = "Not Used",
            ["gwApiUrl"] = gateway + basePath,
            ["apidoc"] = api.DeepClone(),
        },
    };

    /// <summary>A routemgmt action's failure: 502 with its words as <c>error</c> (its web action error response).</summary>
    private static Task FailAsync(HttpContext context, string error) =>
        JsonAsync(context, new JsonObject { ["error"] = error }, StatusCodes.Status502BadGateway);

    private static async Task JsonAsync(HttpContext context, JsonObject body, int status = StatusCodes.Status200OK)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.Body.WriteAsync(Encoding.UTF8.GetBytes(body.ToJsonString()), context.RequestAborted);
    }
}
