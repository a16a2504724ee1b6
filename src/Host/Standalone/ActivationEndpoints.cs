using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using Perf.Invoker.Model;
using Perf.Invoker.Store;

namespace Perf.Invoker.Host.Standalone;

/// <summary><c>…/activations</c>: the caller's records newest first, and one record, its logs or its response.</summary>
internal sealed class ActivationEndpoints(SqliteActivationStore records)
{
    /// <summary>
    /// OpenWhisk's list: summaries (its view's values), whole records with <c>docs=true</c>, <c>{"activations":N}</c> with
    /// <c>count=true</c>; <c>name</c> (<c>NAME</c> or <c>P/NAME</c>), <c>since</c> and <c>upto</c> (epoch ms, inclusive) filter.
    /// </summary>
    public async Task ListAsync(HttpContext context, NamespaceKey key)
    {
        IQueryCollection query = context.Request.Query;
        if (!RequestReader.TryPaging(context, out int limit, out int skip, out string? error) ||
            !RequestReader.TryFlag(query, "count", out bool count, out error) ||
            !RequestReader.TryFlag(query, "docs", out bool docs, out error) ||
            !TryEpoch(query, "since", 0, out long since, out error) ||
            !TryEpoch(query, "upto", long.MaxValue, out long upto, out error) ||
            !TryNameFilter(query, out string? name, out error))
        {
            await ApiResponses.ErrorAsync(context, StatusCodes.Status400BadRequest, error);
            return;
        }

        if (count)
        {
            if (docs)
            {
                await ApiResponses.ErrorAsync(context, StatusCodes.Status400BadRequest, ApiErrors.DocsNotAllowedWithCount);
                return;
            }

            long total = await records.CountAsync(key.Namespace, name, since, upto, context.RequestAborted);
            await ApiResponses.WriteCountAsync(context, "activations", Math.Max(0, total - skip));
            return;
        }

        IReadOnlyList<ActivationRecord> list = await records.ListAsync(key.Namespace, name, limit, skip, since, upto, context.RequestAborted);
        if (docs)
        {
            await ApiResponses.WriteArrayAsync(context, list, ActivationDocument.Of);
        }
        else
        {
            await ApiResponses.WriteArrayAsync(context, list, ActivationSummaryDocument.Of);
        }
    }

    public async Task GetAsync(HttpContext context, NamespaceKey key)
    {
        if (await FindAsync(context, key) is { } record)
        {
            await ApiResponses.WriteAsync(context, StatusCodes.Status200OK, ActivationDocument.Of(record));
        }
    }

    public async Task GetLogsAsync(HttpContext context, NamespaceKey key)
    {
        if (await FindAsync(context, key) is { } record)
        {
            await ApiResponses.WriteAsync(context, StatusCodes.Status200OK, new ActivationLogsDocument { Logs = record.Logs });
        }
    }

    public async Task GetResultAsync(HttpContext context, NamespaceKey key)
    {
        if (await FindAsync(context, key) is { } record)
        {
            await ApiResponses.WriteAsync(context, StatusCodes.Status200OK, ResponseDocument.Of(record.Response));
        }
    }

    /// <summary>The record the path's id names, or null after answering 404.</summary>
    private async ValueTask<ActivationRecord?> FindAsync(HttpContext context, NamespaceKey key)
    {
        // Another namespace's activation is indistinguishable from one that does not exist.
        if (!ActivationId.TryParse(RequestReader.Route(context, "id"), out ActivationId id) ||
            await records.FindAsync(key.Namespace, id, context.RequestAborted) is not { } record ||
            record.Namespace != key.Namespace)
        {
            await ApiResponses.ErrorAsync(context, StatusCodes.Status404NotFound, ApiErrors.NotFound);
            return null;
        }

        return record;
    }

    /// <summary><c>since</c> or <c>upto</c>: epoch milliseconds (OpenWhisk's Instant.ofEpochMilli of a long).</summary>
    private static bool TryEpoch(IQueryCollection query, string name, long absent, out long value, [NotNullWhen(false)] out string? error)
    {
        error = null;
        value = absent;
        if (query[name] is not [{ } text])
        {
            return true;
        }

        if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value))
        {
            return true;
        }

        error = ApiErrors.MalformedQuery(name, $"Parameter is not a valid value for epoch seconds: {text}");
        return false;
    }

    /// <summary><c>name</c>: an action's name or <c>package/name</c> (OpenWhisk: a path of at most two parts); empty is none.</summary>
    private static bool TryNameFilter(IQueryCollection query, out string? name, [NotNullWhen(false)] out string? error)
    {
        error = null;
        name = null;
        if (query["name"] is not [{ } text] || text.Trim().Length == 0)
        {
            return true;
        }

        string[] parts = text.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length is 0 or > 2 || !parts.All(ApiPaths.IsEntityName))
        {
            error = ApiErrors.MalformedQuery("name", $"Parameter may be a 'simple' name or 'package-name/simple' name: {text}");
            return false;
        }

        name = string.Join('/', parts);
        return true;
    }
}
