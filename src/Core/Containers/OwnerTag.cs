using System.Security.Cryptography;
using System.Text;

namespace Perf.Invoker.Containers;

/// <summary>
/// The tag an invoker marks its runtime processes with, and by which it removes a crashed predecessor's at start.
/// It names the data directory too: two invokers on one machine (or tests side by side) never sweep each
/// other's containers, while a restart on the same data directory finds its predecessor's.
/// </summary>
public static class OwnerTag
{
    public static string For(string invoker, string dataDirectory)
    {
        byte[] hash = SHA256.HashData(Encoding.UTF8.GetBytes(Path.GetFullPath(dataDirectory)));
        // Letters, digits and '-' only: it also prefixes Docker container names.
        return $"{invoker}-{Convert.ToHexStringLower(hash, 0, 6)}";
    }
}
