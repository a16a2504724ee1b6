using System.Collections.Frozen;
using Perf.Invoker.Invocation;
using Perf.Invoker.Json;

namespace Perf.Invoker.CouchDb;

/// <summary>
/// The namespaces OpenWhisk blocks (throttled to zero or marked blocked), read from the subjects database's
/// <c>namespaceThrottlings/blockedNamespaces</c> view at start and every poll interval (5 minutes, as OpenWhisk's
/// invoker polls) (docs/cluster.md, "Namespace blacklist"). A failed poll keeps the set it had.
/// </summary>
public sealed class NamespaceBlacklist : INamespaceBlacklist, IAsyncDisposable
{
    public static readonly TimeSpan DefaultPollInterval = TimeSpan.FromMinutes(5);

    private readonly CouchDbClient _client;
    private readonly string _viewPath;
    private readonly TimeProvider _time;
    private readonly TimeSpan _interval;
    private readonly Action<string>? _report;
    private readonly CancellationTokenSource _stop = new();

    /// <summary>The last set read; replaced whole, so a lookup never sees half a poll.</summary>
    private volatile FrozenSet<string> _blocked = FrozenSet<string>.Empty;

    /// <summary>True after a failed poll until one succeeds: a database that stays down is reported once, not every poll.</summary>
    private bool _failing;

    /// <summary>The poll loop, or null before <see cref="Start"/>.</summary>
    private Task? _loop;

    private long _polls;

    /// <param name="report">Told once when polls start failing, and once when they succeed again.</param>
    public NamespaceBlacklist(CouchDbClient client, TimeProvider? time = null, TimeSpan? pollInterval = null, Action<string>? report = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        _client = client;
        _viewPath = $"{CouchDbClient.Segment(client.Options.SubjectsDatabase)}/_design/namespaceThrottlings/_view/blockedNamespaces?descending=true&reduce=false&stale=update_after";
        _time = time ?? TimeProvider.System;
        _interval = pollInterval ?? DefaultPollInterval;
        _report = report;
    }

    /// <summary>Polls done so far, failed ones included.</summary>
    public long Polls => Interlocked.Read(ref _polls);

    /// <summary>The namespaces blocked as of the last successful poll.</summary>
    public IReadOnlySet<string> Blocked => _blocked;

    public bool Contains(string @namespace) => _blocked.Contains(@namespace);

    /// <summary>Polls now and then every interval, until disposed.</summary>
    public void Start()
    {
        if (_loop is not null)
        {
            throw new InvalidOperationException("The blacklist is already polling.");
        }

        _loop = RunAsync(_stop.Token);
    }

    /// <summary>One poll: the view's keys replace the set; on failure the set stays and the failure is reported (once per outage).</summary>
    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        try
        {
            CouchDbResponse response = await _client.GetAsync(_viewPath, cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccess)
            {
                Fail($"CouchDB answered {response.StatusCode}.");
                return;
            }

            ViewRow[] rows = JsonModel.Read<ViewResult>(response.Body).Rows;
            _blocked = rows.Select(static row => row.Key).ToFrozenSet(StringComparer.Ordinal);
            if (_failing)
            {
                _failing = false;
                _report?.Invoke($"The namespace blacklist is read again: {rows.Length} namespaces blocked.");
            }
        }
        catch (Exception e) when (e is CouchDbUnavailableException or JsonReadException)
        {
            Fail(e.Message);
        }
        finally
        {
            Interlocked.Increment(ref _polls);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_loop is not null)
        {
            await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        _stop.Dispose();
    }

    private void Fail(string reason)
    {
        if (!_failing)
        {
            _failing = true;
            _report?.Invoke($"The namespace blacklist could not be read; keeping the {_blocked.Count} namespaces it had: {reason}");
        }
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        // Created before the first poll so a tick during it is not lost.
        using var timer = new PeriodicTimer(_interval, _time);
        await Task.Yield();
        try
        {
            do
            {
                await RefreshAsync(cancellationToken).ConfigureAwait(false);
            }
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Disposed.
        }
    }
}
