using System.Buffers;
using System.Diagnostics;
using System.Text;
using Perf.Invoker.Buffers;
using Perf.Invoker.Json;
using Perf.Invoker.Model;

namespace Perf.Invoker.CouchDb;

/// <summary>
/// OpenWhisk's activation document (docs/cluster.md, "Activation records"): <c>_id</c> =
/// <c>&lt;user namespace&gt;/&lt;activation id&gt;</c>, <c>entityType: "activation"</c>, <c>updated</c> (epoch ms), then the
/// record's members as <see cref="ActivationRecord"/> writes them (WhiskActivation's, in its order; <c>cause</c>,
/// <c>duration</c> and <c>response.size</c> omitted when absent; <c>annotations</c> an array of <c>{key, value}</c>).
/// </summary>
internal static class ActivationDocument
{
    /// <summary>A namespace this long or shorter builds its id on the stack.</summary>
    private const int StackIdBytes = 512;

    /// <summary>The document id: the record's <c>namespace</c> is the invoking user's, never the action's package path.</summary>
    public static string Id(string userNamespace, ActivationId activationId) => $"{userNamespace}/{activationId}";

    /// <summary>Whether <paramref name="id"/> is the document id of the activation, compared without building that id.</summary>
    public static bool IsId(string? id, string userNamespace, ActivationId activationId)
    {
        if (id is null || id.Length != userNamespace.Length + 1 + ActivationId.Length
            || !id.StartsWith(userNamespace, StringComparison.Ordinal) || id[userNamespace.Length] != '/')
        {
            return false;
        }

        Span<char> hex = stackalloc char[ActivationId.Length];
        bool formatted = activationId.TryFormat(hex, out int written, default, null);
        Debug.Assert(formatted && written == ActivationId.Length, "an activation id is 32 hex digits");
        return id.AsSpan(userNamespace.Length + 1).SequenceEqual(hex);
    }

    /// <summary>Appends the document to <paramref name="buffer"/>; nothing is allocated but the buffer's growth.</summary>
    public static void Write(PooledBufferWriter buffer, ActivationRecord record, long updatedMillis)
    {
        var writer = new JsonWriter(buffer);
        writer.WriteRaw("{\"_id\":"u8);
        WriteId(ref writer, record.Namespace, record.ActivationId);
        writer.WriteRaw(",\"entityType\":\"activation\",\"updated\":"u8);
        writer.WriteInt64(updatedMillis);
        writer.Flush();

        // The record's generated writer then writes its own object; its opening brace becomes the comma after
        // "updated", so the document is one object and its members cannot drift from the record's.
        int brace = buffer.WrittenCount;
        JsonModel.Write(buffer, record);
        Debug.Assert(buffer.Array[brace] == (byte)'{', "a record is written as an object");
        buffer.Array[brace] = (byte)',';
    }

    private static void WriteId(ref JsonWriter writer, string userNamespace, ActivationId activationId)
    {
        int max = Encoding.UTF8.GetMaxByteCount(userNamespace.Length) + 1 + ActivationId.Length;
        byte[]? rented = null;
        Span<byte> id = max <= StackIdBytes ? stackalloc byte[StackIdBytes] : (rented = ArrayPool<byte>.Shared.Rent(max));
        try
        {
            int length = Encoding.UTF8.GetBytes(userNamespace, id);
            id[length++] = (byte)'/';
            bool formatted = activationId.TryFormat(id[length..], out int written, default, null);
            Debug.Assert(formatted && written == ActivationId.Length, "room was made for the 32 hex digits");
            writer.WriteUtf8String(id[..(length + written)]);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }
}
