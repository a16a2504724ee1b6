namespace Perf.Invoker.CouchDb;

/// <summary>
/// Where the cluster's CouchDB is and which of its databases hold what (docs/cluster.md): OpenWhisk's
/// <c>whisk.couchdb.{protocol,host,port,username,password}</c> and <c>whisk.couchdb.databases.{WhiskEntity,WhiskActivation,WhiskAuth}</c>.
/// </summary>
public sealed class CouchDbOptions
{
    /// <summary><c>protocol://host:port</c>, without a path.</summary>
    public required Uri Server { get; init; }

    public required string Username { get; init; }

    public required string Password { get; init; }

    /// <summary>Actions (OpenWhisk's <c>WhiskEntity</c> database, <c>whisks</c> by default).</summary>
    public string EntityDatabase { get; init; } = "whisks";

    /// <summary>Activation records (<c>WhiskActivation</c>, <c>activations</c>).</summary>
    public string ActivationDatabase { get; init; } = "activations";

    /// <summary>Subjects and the namespace blacklist view (<c>WhiskAuth</c>, <c>subjects</c>).</summary>
    public string SubjectsDatabase { get; init; } = "subjects";

    /// <summary>Connections to the server at most; record batches use at most half (OpenWhisk's parallelism).</summary>
    public int MaxConnections { get; init; } = 16;

    /// <summary>How long one request may take before it counts as failed.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);
}
