using System.Security.Cryptography;
using System.Text;

namespace Perf.Invoker.Host.Serve;

/// <summary>The user and password of OpenWhisk's invoker admin routes (<c>whisk.invoker.username/password</c>), checked from an Authorization header.</summary>
internal sealed class BasicCredentials(string username, string password)
{
    private readonly byte[] _expected = Encoding.UTF8.GetBytes($"{username}:{password}");

    /// <summary>True for <c>Basic base64(user:password)</c> with these credentials; compared in constant time.</summary>
    public bool Accepts(string? authorization)
    {
        const string Scheme = "Basic ";
        if (authorization is null || !authorization.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        byte[] given;
        try
        {
            given = Convert.FromBase64String(authorization[Scheme.Length..].Trim());
        }
        catch (FormatException)
        {
            return false;
        }

        return CryptographicOperations.FixedTimeEquals(given, _expected);
    }
}
