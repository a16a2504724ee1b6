using System.Net;
using System.Text;
using Perf.Invoker.CouchDb;
using Perf.Invoker.Host.Standalone;
using Perf.Invoker.Invocation;
using Perf.Invoker.Model;

namespace Perf.Invoker.Fuzz;

/// <summary>
/// An action document, read the two ways the invoker reads one (src/Core/Model, src/Core/CouchDb). As the REST API's and
/// the SQLite store's <see cref="ActionSpec"/>: read or a <see cref="Json.JsonReadException"/>; what reads must write
/// back to bytes that read the same (the store keeps what it writes and reads it at every start), and the API's
/// validation and the executable action built from a valid one must not throw. As a document of OpenWhisk's entity
/// database: <see cref="CouchActionSource"/> reads it from a CouchDB answered from memory (an attachment, when the
/// document names one, holds a fixed text) and must answer a lookup, found or one of OpenWhisk's failures, never throw.
/// </summary>
public static class ActionDocumentHarness
{
    private static readonly ActionValidation s_validation = new(new ConcurrencyRange());

    private static readonly MemoryCouchDb s_couch = new();

    private static readonly CouchDbClient s_client = new(
        new CouchDbOptions { Server = new Uri("http://127.0.0.1:5984/"), Username = "fuzz", Password = "fuzz" }, s_couch);

    private static readonly ActivationMessage s_message = new()
    {
        Transid = new TransactionId { Id = "fuzz", StartMillis = 1 },
        Action = new FullyQualifiedEntityName { Path = "guest", Name = "hello", Version = "0.0.1" },
        Revision = "1-fuzz",
        User = new Identity
        {
            Subject = "guest",
            Namespace = new Namespace { Name = "guest", Uuid = "23bc46b1-71f6-4ed5-8c54-816aa4f8c502" },
            Authkey = new AuthKey { ApiKey = "23bc46b1-71f6-4ed5-8c54-816aa4f8c502:key" },
            Rights = Privileges.All,
            Limits = Json.RawJson.EmptyObject,
        },
        ActivationId = ActivationId.NewId(),
        RootControllerIndex = new ControllerInstanceId { AsString = "0", InstanceType = "controller" },
        Blocking = true,
    };

    public static void Run(ReadOnlyMemory<byte> input)
    {
        if (JsonContract.TryRead(input, out ActionSpec? spec))
        {
            JsonContract.RoundTrips(spec);
            if (s_validation.Check(spec) is null)
            {
                Executes(new ExecutableAction("guest", "hello", spec, "0.0.1"));
            }
        }

        s_couch.Document = input;
        ActionLookup lookup = new CouchActionSource(s_client, ResolveKind).FindAsync(s_message, CancellationToken.None).AsTask().GetAwaiter().GetResult();
        if (lookup.IsFound)
        {
            Executes(lookup.Action);
        }
    }

    /// <summary>What the pool sends and records for an action: its /init body and its record's annotations read back.</summary>
    private static void Executes(ExecutableAction action)
    {
        JsonContract.RoundTrips(action.Spec);
        JsonContract.RoundTrips(new InitRequest
        {
            Value = new InitPayload { Name = action.Name, Main = action.Main, Binary = action.Binary, Code = action.Code, Env = new EnvironmentVariables([]) },
        });
        foreach (Parameter annotation in action.RecordAnnotations)
        {
            ContractViolation.Unless(JsonContract.TryRead(annotation.Value.Utf8, out Json.RawJson _), $"annotation {annotation.Key} is not JSON");
        }
    }

    private static string? ResolveKind(string kind) => kind is "nodejs:default" or "nodejs:20" ? "nodejs:20" : kind == "python:3" ? kind : null;

    /// <summary>CouchDB answering the one document, and any attachment of it, from memory.</summary>
    private sealed class MemoryCouchDb : HttpMessageHandler
    {
        private static readonly byte[] s_attachment = Encoding.UTF8.GetBytes("function main() { return {}; }");

        public ReadOnlyMemory<byte> Document { get; set; }

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            // GET /whisks/guest%2Fhello is the document; a longer path is one of its attachments.
            bool document = request.RequestUri!.AbsolutePath.Count(c => c == '/') == 2;
            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK)
            {
                Content = new ByteArrayContent(document ? Document.ToArray() : s_attachment),
            });
        }
    }
}
