using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.IO.Pipelines;
using Microsoft.Extensions.Primitives;

namespace Perf.Invoker.Host.Standalone;

/// <summary>
/// What the REST API reads from a request besides its JSON: the body within a limit, the names in the path and
/// the query's paging and flags, each refused with OpenWhisk's words.
/// </summary>
internal static class RequestReader
{
    public const int DefaultListLimit = 30;
    public const int MaxListLimit = 200;

    /// <summary>The request body, or null after answering 413 when it is over <paramref name="limit"/>.</summary>
    public static async Task<byte[]?> ReadBodyAsync(HttpContext context, int limit)
    {
        if (context.Request.ContentLength is { } declared && declared > limit)
        {
            await ApiResponses.ErrorAsync(context, StatusCodes.Status413PayloadTooLarge, ApiErrors.TooLarge(declared, limit));
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
                await ApiResponses.ErrorAsync(context, StatusCodes.Status413PayloadTooLarge, ApiErrors.TooLarge(length, limit));
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

    /// <summary>A route value, empty when the route has none.</summary>
    public static string Route(HttpContext context, string name) => context.Request.RouteValues[name] as string ?? string.Empty;

    /// <summary>The <c>{name}</c> of the path, and whether it is an entity name OpenWhisk would accept.</summary>
    public static bool TryName(HttpContext context, out string name)
    {
        name = Route(context, "name");
        return ApiPaths.IsEntityName(name);
    }

    /// <summary>
    /// A PUT of a named entity (a trigger, a rule): its name, OpenWhisk's <c>overwrite</c> flag and its body; null after
    /// answering 400 (a bad name or flag) or 413.
    /// </summary>
    public static async Task<EntityPut?> ReadPutAsync(HttpContext context, string kind, int limit)
    {
        if (!TryName(context, out string name))
        {
            await ApiResponses.ErrorAsync(context, StatusCodes.Status400BadRequest, ApiErrors.BadName(kind, name));
            return null;
        }

        if (!TryFlag(context.Request.Query, "overwrite", out bool overwrite, out string? badFlag))
        {
            await ApiResponses.ErrorAsync(context, StatusCodes.Status400BadRequest, badFlag);
            return null;
        }

        return await ReadBodyAsync(context, limit) is { } body ? new EntityPut(name, overwrite, body) : null;
    }

    public static bool TryPaging(HttpContext context, out int limit, out int skip, [NotNullWhen(false)] out string? error)
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
    public static bool TryFlag(IQueryCollection query, string name, out bool value, [NotNullWhen(false)] out string? error, bool absent = false)
    {
        error = null;
        value = absent;
        StringValues values = query[name];
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
}

/// <summary>What a PUT of a named entity carries: <see cref="RequestReader.ReadPutAsync"/>.</summary>
internal readonly record struct EntityPut(string Name, bool Overwrite, byte[] Body);
