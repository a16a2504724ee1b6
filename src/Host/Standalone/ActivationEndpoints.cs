using Perf.Invoker.Model;
using Perf.Invoker.Store;

namespace Perf.Invoker.Host.Standalone;

/// <summary><c>…/activations</c>: the caller's records newest first, and one record, its logs or its response.</summary>
internal sealed class ActivationEndpoints(SqliteActivationStore records)
{
    public async Task ListAsync(HttpContext context, NamespaceKey key)
    {
        if (!RequestReader.TryPaging(context, out int limit, out int skip, out string? error))
        {
            await ApiResponses.ErrorAsync(context, StatusCodes.Status400BadRequest, error);
            return;
        }

        string? name = context.Request.Query["name"] is [{ Length: > 0 } n] ? n : null;
        IReadOnlyList<ActivationRecord> list = await records.ListAsync(key.Namespace, name, limit, skip, context.RequestAborted);
        await ApiResponses.WriteArrayAsync(context, list, ActivationDocument.Of);
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
}
