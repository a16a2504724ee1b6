using Microsoft.Extensions.Time.Testing;
using Perf.Invoker.CouchDb;

namespace Perf.Invoker.Tests.CouchDb;

[Trait("Category", "Unit")]
public sealed class NamespaceBlacklistTests : IAsyncLifetime
{
    private const string View = "/subjects/_design/namespaceThrottlings/_view/blockedNamespaces?descending=true&reduce=false&stale=update_after";

    private FakeCouchDb _couch = null!;
    private CouchDbClient _client = null!;
    private readonly FakeTimeProvider _time = new();
    private readonly List<string> _reports = [];

    public async Task InitializeAsync()
    {
        _couch = await FakeCouchDb.StartAsync();
        _client = _couch.Client();
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _couch.DisposeAsync();
    }

    private static string Rows(params string[] namespaces) =>
        $$"""{"total_rows":{{namespaces.Length}},"offset":0,"rows":[{{string.Join(",", namespaces.Select(n => $$"""{"id":"{{n}}/limits","key":"{{n}}","value":1}"""))}}]}""";

    [Fact]
    public async Task TheBlacklist_IsTheViewsKeys_ReadAtStartAndEveryPollInterval()
    {
        _couch.Answer(View, 200, Rows("spammer", "abuser"));
        await using var blacklist = new NamespaceBlacklist(_client, _time, report: _reports.Add);

        blacklist.Start();
        await Eventually.True(() => blacklist.Polls == 1, "the poll at start");
        Assert.True(blacklist.Contains("spammer"));
        Assert.True(blacklist.Contains("abuser"));
        Assert.False(blacklist.Contains("guest"));

        _couch.Answer(View, 200, Rows("guest"));
        _time.Advance(NamespaceBlacklist.DefaultPollInterval);
        await Eventually.True(() => blacklist.Polls == 2, "the poll after five minutes");

        Assert.Equal(["guest"], blacklist.Blocked);
        Assert.Equal(2, _couch.CountOf(View));
        Assert.Empty(_reports);
    }

    [Fact]
    public async Task AFailedPoll_KeepsTheSetItHad_AndAnOutageIsReportedOnce()
    {
        _couch.Answer(View, 200, Rows("spammer"));
        await using var blacklist = new NamespaceBlacklist(_client, _time, report: _reports.Add);
        blacklist.Start();
        await Eventually.True(() => blacklist.Polls == 1, "the poll at start");

        _couch.Answer(View, 500, """{"error":"unknown_error"}""");
        _time.Advance(NamespaceBlacklist.DefaultPollInterval);
        await Eventually.True(() => blacklist.Polls == 2, "the first failed poll");
        _couch.Answer(View, 200, "not json");
        _time.Advance(NamespaceBlacklist.DefaultPollInterval);
        await Eventually.True(() => blacklist.Polls == 3, "the second failed poll");

        Assert.True(blacklist.Contains("spammer"));
        Assert.Contains("could not be read; keeping the 1 namespaces it had: CouchDB answered 500.", Assert.Single(_reports));

        _couch.Answer(View, 200, Rows());
        _time.Advance(NamespaceBlacklist.DefaultPollInterval);
        await Eventually.True(() => blacklist.Polls == 4, "the poll that succeeds again");
        Assert.False(blacklist.Contains("spammer"));
        Assert.Equal(2, _reports.Count);
    }
}
