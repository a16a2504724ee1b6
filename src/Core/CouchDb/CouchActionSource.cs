using System.Text;
using Perf.Invoker.Invocation;
using Perf.Invoker.Json;
using Perf.Invoker.Model;

namespace Perf.Invoker.CouchDb;

/// <summary>
/// Actions from OpenWhisk's entity database, read as its invoker reads them (docs/cluster.md, "Actions from the entity
/// database"): the document <c>path/name</c> at the message's revision, its code inline or in an attachment, built
/// once per revision and cached by (document, revision). A message without a revision reads the latest document,
/// bypassing the cache.
/// </summary>
public sealed class CouchActionSource : IActionSource
{
    /// <summary>Bytes of code the cache holds at most.</summary>
    public const long DefaultCacheBytes = 64L << 20;

    private readonly CouchDbClient _client;
    private readonly string _database;
    private readonly Func<string, string?> _resolveKind;
    private readonly Action<string>? _report;
    private readonly ActionCache _cache;

    /// <summary>Reads of a (document, revision) not in the cache yet; later lookups of the same key wait on the one read.</summary>
    private readonly Dictionary<ActionCacheKey, Task<ActionLookup>> _inFlight = [];

    private readonly Lock _inFlightLock = new();

    private long _hits;
    private long _misses;

    /// <param name="resolveKind">
    /// The runtime kind to run for a stored kind (trimmed, lower-cased): itself when this invoker has the runtime, the
    /// family's default for <c>nodejs:default</c>; null for a kind it does not know (the action is then not compatible).
    /// </param>
    /// <param name="cacheBytes">Bytes of code the cache holds at most (<see cref="DefaultCacheBytes"/>).</param>
    /// <param name="report">Told why a read failed, in one line, when the database did not answer or refused.</param>
    public CouchActionSource(CouchDbClient client, Func<string, string?> resolveKind, long cacheBytes = DefaultCacheBytes, Action<string>? report = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(resolveKind);
        ArgumentOutOfRangeException.ThrowIfNegative(cacheBytes);
        _client = client;
        _database = client.Options.EntityDatabase;
        _resolveKind = resolveKind;
        _report = report;
        _cache = new ActionCache(cacheBytes);
    }

    /// <summary>Lookups answered without a read of their own: from the cache, or by waiting on another lookup's read.</summary>
    public long Hits => Interlocked.Read(ref _hits);

    /// <summary>Lookups that read the database: a revision not cached yet, or a message without a revision.</summary>
    public long Misses => Interlocked.Read(ref _misses);

    /// <summary>Bytes of code in the cache now.</summary>
    public long CachedBytes => _cache.Bytes;

    /// <summary>Actions in the cache now.</summary>
    public int CachedActions => _cache.Count;

    public ValueTask<ActionLookup> FindAsync(ActivationMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        FullyQualifiedEntityName action = message.Action;
        if (message.Revision is not { } revision)
        {
            // OpenWhisk's controller health action comes without a revision: the latest document, never cached.
            Interlocked.Increment(ref _misses);
            return new ValueTask<ActionLookup>(ReadAsync(action.Path, action.Name, revision: null, cancellationToken));
        }

        var key = new ActionCacheKey(action.Path, action.Name, revision);
        if (_cache.TryGet(key, out ExecutableAction cached))
        {
            Interlocked.Increment(ref _hits);
            return new ValueTask<ActionLookup>(ActionLookup.Found(cached));
        }

        TaskCompletionSource<ActionLookup> read;
        lock (_inFlightLock)
        {
            if (_inFlight.TryGetValue(key, out Task<ActionLookup>? pending))
            {
                Interlocked.Increment(ref _hits);
                return new ValueTask<ActionLookup>(pending.WaitAsync(cancellationToken));
            }

            // Cached between the look above and the lock: the read that put it there has left the in-flight table.
            if (_cache.TryGet(key, out cached))
            {
                Interlocked.Increment(ref _hits);
                return new ValueTask<ActionLookup>(ActionLookup.Found(cached));
            }

            Interlocked.Increment(ref _misses);
            read = new TaskCompletionSource<ActionLookup>(TaskCreationOptions.RunContinuationsAsynchronously);
            _inFlight.Add(key, read.Task);
        }

        return new ValueTask<ActionLookup>(ReadSharedAsync(key, read, cancellationToken));
    }

    /// <summary>The one read of a key that others may wait on; it is not cancelled by its first caller's token.</summary>
    private async Task<ActionLookup> ReadSharedAsync(ActionCacheKey key, TaskCompletionSource<ActionLookup> read, CancellationToken cancellationToken)
    {
        try
        {
            (ActionLookup lookup, bool atRevision) = await ReadRevisionAsync(key.Path, key.Name, key.Revision, CancellationToken.None).ConfigureAwait(false);
            if (lookup.IsFound && atRevision)
            {
                _cache.Add(key, lookup.Action, Encoding.UTF8.GetByteCount(lookup.Action.Code));
            }

            Complete(key, () => read.SetResult(lookup));
        }
#pragma warning disable CA1031 // Whatever went wrong reaches every waiter, and the key is free for the next read.
        catch (Exception e)
#pragma warning restore CA1031
        {
            Complete(key, () => read.SetException(e));
        }

        return await read.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Takes the key out of the in-flight table before waking its waiters, so a later lookup finds the cache.</summary>
    private void Complete(ActionCacheKey key, Action wake)
    {
        lock (_inFlightLock)
        {
            _inFlight.Remove(key);
        }

        wake();
    }

    /// <returns>The lookup, and whether it is of the revision asked for (only then may it be cached under it).</returns>
    private async Task<(ActionLookup Lookup, bool AtRevision)> ReadRevisionAsync(string path, string name, string revision, CancellationToken cancellationToken)
    {
        string id = $"{path}/{name}";
        (ActionLookup? failure, ActionDocument? document) = await ReadDocumentAsync(id, revision, cancellationToken).ConfigureAwait(false);
        if (document is null)
        {
            return (failure ?? ActionLookup.NotFetched, false);
        }

        if (document.Rev != revision)
        {
            // OpenWhisk retries a revision mismatch once, for the latest document, and does not cache what it reads.
            return (await ReadAsync(path, name, revision: null, cancellationToken).ConfigureAwait(false), false);
        }

        return (await BuildAsync(id, document, cancellationToken).ConfigureAwait(false), true);
    }

    private async Task<ActionLookup> ReadAsync(string path, string name, string? revision, CancellationToken cancellationToken)
    {
        string id = $"{path}/{name}";
        (ActionLookup? failure, ActionDocument? document) = await ReadDocumentAsync(id, revision, cancellationToken).ConfigureAwait(false);
        return document is null ? failure ?? ActionLookup.NotFetched : await BuildAsync(id, document, cancellationToken).ConfigureAwait(false);
    }

    /// <returns>The document, or the failure to answer with.</returns>
    private async Task<(ActionLookup? Failure, ActionDocument? Document)> ReadDocumentAsync(string id, string? revision, CancellationToken cancellationToken)
    {
        CouchDbResponse response;
        try
        {
            response = await _client.GetDocumentAsync(_database, id, revision, cancellationToken).ConfigureAwait(false);
        }
        catch (CouchDbUnavailableException e)
        {
            _report?.Invoke($"Action {id} could not be read: {e.Message}");
            return (ActionLookup.NotFetched, null);
        }

        if (response.IsNotFound)
        {
            return (ActionLookup.NotFound, null);
        }

        if (!response.IsSuccess)
        {
            _report?.Invoke($"Action {id} could not be read: CouchDB answered {response.StatusCode}.");
            return (ActionLookup.NotFetched, null);
        }

        try
        {
            return (null, JsonModel.Read<ActionDocument>(response.Body));
        }
        catch (JsonReadException)
        {
            return (ActionLookup.NotCompatible, null);
        }
    }

    /// <summary>OpenWhisk's reading of a stored action (its Exec and ActionLimits readers), then its code's bytes.</summary>
    private async Task<ActionLookup> BuildAsync(string id, ActionDocument document, CancellationToken cancellationToken)
    {
        if (document.EntityType != "action" || document.Namespace is null || document.Name is null ||
            document.Exec is not { Kind: { } storedKind } exec ||
            document.Limits is not { Timeout: not null, Memory: not null } limits)
        {
            return ActionLookup.NotCompatible;
        }

        string kind = storedKind.Trim().ToLowerInvariant();
        string? image = null;
        RawJson? code;
        if (kind == "sequence")
        {
            // A sequence is the controller's to run: it never reaches an invoker unless something is wrong.
            return ActionLookup.NotFetched;
        }
        else if (kind == "blackbox")
        {
            if (exec.Image is not { } blackboxImage)
            {
                return ActionLookup.NotCompatible;
            }

            image = blackboxImage;
            code = exec.Code;
        }
        else if (_resolveKind(kind) is { } resolved)
        {
            kind = resolved;
            code = exec.Code ?? exec.Jar;
            if (code is null)
            {
                return ActionLookup.NotCompatible;
            }
        }
        else
        {
            return ActionLookup.NotCompatible;
        }

        (ActionLookup? failure, string? text, bool binary) = code is { } stored
            ? await ReadCodeAsync(id, document, stored, blackbox: image is not null, exec.Binary ?? false, cancellationToken).ConfigureAwait(false)
            : (null, null, false);
        if (failure is { } failed)
        {
            return failed;
        }

        var spec = new ActionSpec
        {
            Namespace = document.Namespace,
            Name = document.Name,
            Exec = new ActionExec { Kind = kind, Code = text, Main = exec.Main, Binary = binary, Image = image },
            Limits = limits,
            Parameters = document.Parameters,
            Annotations = document.Annotations,
            Version = document.Version,
        };
        return ActionLookup.Found(new ExecutableAction(document.Namespace, document.Name, spec, document.Version ?? "0.0.1"));
    }

    /// <summary>
    /// The code of one of the four stored forms (docs/cluster.md): a string (binary when it looks like base64), or an
    /// attachment reference whose bytes are inline (<c>mem:</c>) or a CouchDB attachment (<c>couch:&lt;uuid&gt;</c>, or
    /// a plain name), read as UTF-8 text or, when binary, given to /init as standard base64.
    /// </summary>
    /// <returns>The code (null for a blackbox without code) and whether it is binary, or the failure to answer with.</returns>
    private async Task<(ActionLookup? Failure, string? Code, bool Binary)> ReadCodeAsync(
        string id, ActionDocument document, RawJson stored, bool blackbox, bool storedBinary, CancellationToken cancellationToken)
    {
        var reader = new JsonReader(stored.Utf8);
        reader.ReadValue();
        if (reader.TokenType == System.Text.Json.JsonTokenType.String)
        {
            string text;
            try
            {
                text = reader.GetString();
            }
            catch (JsonReadException)
            {
                // Code that is not text (a lone surrogate escape) is no source a runtime can take.
                return (ActionLookup.NotCompatible, null, false);
            }

            // A blackbox's empty code is no code; another kind's is code, however short.
            return blackbox && BinaryCode.IsJavaBlank(text) ? (null, null, false) : (null, text, BinaryCode.IsBase64(text));
        }

        AttachedCode attached;
        try
        {
            attached = JsonModel.Read<AttachedCode>(stored.Utf8);
        }
        catch (JsonReadException)
        {
            return (ActionLookup.NotCompatible, null, false);
        }

        string reference = attached.AttachmentName;
        byte[] bytes;
        if (reference.StartsWith("mem:", StringComparison.Ordinal))
        {
            if (BinaryCode.DecodeUrlSafe(reference.AsSpan(4)) is not { } inline)
            {
                return (ActionLookup.NotCompatible, null, false);
            }

            bytes = inline;
        }
        else if (AttachmentName(reference) is { } name)
        {
            if (!HasOnlyAttachment(document, reference))
            {
                return (ActionLookup.NotCompatible, null, false);
            }

            (ActionLookup? failure, byte[]? body) = await ReadAttachmentAsync(id, name, document.Rev, cancellationToken).ConfigureAwait(false);
            if (body is null)
            {
                return (failure ?? ActionLookup.NotFetched, null, false);
            }

            bytes = body;
        }
        else
        {
            // Another store's scheme (s3:, …): OpenWhisk configured with an attachment store this invoker does not have.
            _report?.Invoke($"Action {id} keeps its code in '{reference}', a store this invoker does not read.");
            return (ActionLookup.NotFetched, null, false);
        }

        return (null, storedBinary ? Convert.ToBase64String(bytes) : Encoding.UTF8.GetString(bytes), storedBinary);
    }

    /// <summary>The CouchDB attachment a reference names: the uuid of <c>couch:&lt;uuid&gt;</c>, or a plain relative name; null for another scheme.</summary>
    private static string? AttachmentName(string reference)
    {
        if (reference.StartsWith("couch:", StringComparison.Ordinal))
        {
            return reference[6..];
        }

        return reference.Contains(':', StringComparison.Ordinal) ? null : reference;
    }

    /// <summary>
    /// OpenWhisk's check: exactly one attachment, whose name (a uuid read as <c>couch:&lt;uuid&gt;</c>) is the one the code refers to.
    /// </summary>
    private static bool HasOnlyAttachment(ActionDocument document, string reference)
    {
        if (document.Attachments is not { } attachments)
        {
            return false;
        }

        var reader = new JsonReader(attachments.Utf8);
        string name;
        try
        {
            reader.ReadValue();
            if (reader.TokenType != System.Text.Json.JsonTokenType.StartObject || !reader.ReadPropertyName(out ReadOnlySpan<byte> first))
            {
                return false;
            }

            name = Encoding.UTF8.GetString(first);
            reader.SkipValue();
            if (reader.ReadPropertyName(out _))
            {
                return false;
            }
        }
        catch (JsonReadException)
        {
            // An attachment name that is not text (a lone surrogate escape) is none CouchDB wrote.
            return false;
        }

        string expected = Guid.TryParseExact(name, "D", out _) ? "couch:" + name : name;
        return expected == reference;
    }

    private async Task<(ActionLookup? Failure, byte[]? Body)> ReadAttachmentAsync(string id, string name, string? revision, CancellationToken cancellationToken)
    {
        CouchDbResponse response;
        try
        {
            response = await _client.GetAttachmentAsync(_database, id, name, revision, cancellationToken).ConfigureAwait(false);
        }
        catch (CouchDbUnavailableException e)
        {
            _report?.Invoke($"The code of action {id} could not be read: {e.Message}");
            return (ActionLookup.NotFetched, null);
        }

        if (response.IsNotFound)
        {
            return (ActionLookup.NotFound, null);
        }

        if (!response.IsSuccess)
        {
            _report?.Invoke($"The code of action {id} could not be read: CouchDB answered {response.StatusCode}.");
            return (ActionLookup.NotFetched, null);
        }

        return (null, response.Body);
    }
}
