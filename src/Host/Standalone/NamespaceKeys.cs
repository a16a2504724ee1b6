using System.Security.Cryptography;
using System.Text;

namespace Perf.Invoker.Host.Standalone;

/// <summary>
/// The standalone API's keys: the file <c>namespaces</c> in the data directory, one <c>NAMESPACE UUID:KEY</c>
/// per line, one namespace per key. At first start it is created with a random key for <c>guest</c>;
/// adding a line (read at start) adds a namespace.
/// </summary>
internal sealed class NamespaceKeys
{
    public const string FileName = "namespaces";

    private readonly Dictionary<string, NamespaceKey> _byUuid;

    /// <summary><see cref="_byUuid"/> looked up by the characters of a request's uuid, without a string for them.</summary>
    private readonly Dictionary<string, NamespaceKey>.AlternateLookup<ReadOnlySpan<char>> _byUuidChars;

    /// <summary>Each key's secret as UTF-8, compared against a request's without encoding it per request.</summary>
    private readonly Dictionary<string, byte[]> _secrets;

    private NamespaceKeys(Dictionary<string, NamespaceKey> byUuid, NamespaceKey first)
    {
        _byUuid = byUuid;
        _byUuidChars = byUuid.GetAlternateLookup<ReadOnlySpan<char>>();
        _secrets = byUuid.Values.ToDictionary(key => key.Uuid, key => Encoding.UTF8.GetBytes(key.Key), StringComparer.Ordinal);
        First = first;
    }

    /// <summary>The first key of the file, guest's on a new data directory; printed at start.</summary>
    public NamespaceKey First { get; }

    public IEnumerable<NamespaceKey> All => _byUuid.Values;

    /// <summary>Reads the file, creating it with a new guest key first when it does not exist.</summary>
    /// <exception cref="FormatException">A line is not <c>NAMESPACE UUID:KEY</c>.</exception>
    public static NamespaceKeys LoadOrCreate(string dataDirectory)
    {
        string path = Path.Combine(dataDirectory, FileName);
        if (!File.Exists(path))
        {
            string created = $"guest {Guid.NewGuid()}:{RandomNumberGenerator.GetString("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 64)}\n";
            // Owner-only: the file holds credentials.
            File.WriteAllText(path, created);
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }
        }

        var byUuid = new Dictionary<string, NamespaceKey>(StringComparer.Ordinal);
        NamespaceKey? first = null;
        int number = 0;
        foreach (string line in File.ReadLines(path))
        {
            number++;
            string trimmed = line.Trim();
            if (trimmed.Length == 0 || trimmed.StartsWith('#'))
            {
                continue;
            }

            string[] parts = trimmed.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            int colon = parts.Length == 2 ? parts[1].IndexOf(':', StringComparison.Ordinal) : -1;
            if (colon <= 0 || colon == parts[1].Length - 1 || !ApiPaths.IsEntityName(parts[0]))
            {
                throw new FormatException($"{path}, line {number}: expected 'NAMESPACE UUID:KEY'");
            }

            var key = new NamespaceKey(parts[0], parts[1][..colon], parts[1][(colon + 1)..]);
            if (!byUuid.TryAdd(key.Uuid, key))
            {
                throw new FormatException($"{path}, line {number}: the uuid {key.Uuid} is used twice");
            }

            first ??= key;
        }

        return first is null ? throw new FormatException($"{path} names no namespace") : new NamespaceKeys(byUuid, first);
    }

    /// <summary>The namespace whose key an <c>Authorization: Basic …</c> header carries; null when it is missing or wrong.</summary>
    public NamespaceKey? Authenticate(string? authorization)
    {
        const string Scheme = "Basic ";
        if (authorization is null || !authorization.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        ReadOnlySpan<char> encoded = authorization.AsSpan(Scheme.Length).Trim();
        Span<byte> decoded = stackalloc byte[256];
        if (encoded.Length > 340 || !Convert.TryFromBase64Chars(encoded, decoded, out int length))
        {
            return null;
        }

        // Allocation-free, as it runs on every request: the uuid's characters and the secret's bytes stay on the stack.
        ReadOnlySpan<byte> credentials = decoded[..length];
        int colon = credentials.IndexOf((byte)':');
        Span<char> uuid = stackalloc char[256];
        if (colon <= 0
            || !Encoding.UTF8.TryGetChars(credentials[..colon], uuid, out int uuidLength)
            || !_byUuidChars.TryGetValue(uuid[..uuidLength], out NamespaceKey? key))
        {
            return null;
        }

        // Constant time: how long the comparison takes says nothing about how much of the key was right.
        return CryptographicOperations.FixedTimeEquals(credentials[(colon + 1)..], _secrets[key.Uuid]) ? key : null;
    }
}
