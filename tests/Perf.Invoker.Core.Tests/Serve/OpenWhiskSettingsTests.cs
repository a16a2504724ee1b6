using Perf.Invoker.Store;
using Perf.Invoker.Containers;
using Perf.Invoker.Host.Engine;
using Perf.Invoker.Host.Serve;
using Perf.Invoker.Json;
using Perf.Invoker.Model;

namespace Perf.Invoker.Tests.Serve;

/// <summary>
/// `invoker serve` started as OpenWhisk's deployments start theirs (docs/cluster.md, "Starting the invoker the OpenWhisk
/// way"): each setting of the environment parsed as OpenWhisk parses it, flags winning, a malformed one named.
/// </summary>
[Trait("Category", "Unit")]
public sealed class OpenWhiskSettingsTests
{
    public const string Manifest = """
        {"runtimes":{"nodejs":[
          {"kind":"nodejs:18","default":false,"image":{"prefix":"openwhisk","name":"action-nodejs-v18","tag":"nightly"},"deprecated":false,"attached":{"attachmentName":"codefile","attachmentType":"text/plain"}},
          {"kind":"nodejs:20","default":true,"image":{"prefix":"openwhisk","name":"action-nodejs-v20","tag":"nightly"},"deprecated":false,"attached":{"attachmentName":"codefile","attachmentType":"text/plain"},
           "stemCells":[{"initialCount":2,"memory":"256 MB","reactive":{"minCount":1,"maxCount":4,"ttl":"2 minutes","threshold":1,"increment":1}}]}
        ]},"blackboxes":[{"prefix":"openwhisk","name":"dockerskeleton","tag":"nightly"}]}
        """;

    private static readonly Dictionary<string, string> s_openWhisk = new()
    {
        ["KAFKA_HOSTS"] = "kafka:9092",
        ["RUNTIMES_MANIFEST"] = Manifest,
    };

    [Fact]
    public void StartedTheOpenWhiskWay_TheIdAndNamesAreTheArguments()
    {
        ServeSettings settings = Parse(s_openWhisk, "--id", "3", "--uniqueName", "3", "--displayedName", "node-a");

        Assert.True(settings.OpenWhiskWay);
        Assert.Equal(3, settings.Instance);
        Assert.Equal("kafka:9092", settings.Kafka);
        Assert.Equal("3", settings.InstanceId.UniqueName);
        Assert.Equal("node-a", settings.InstanceId.DisplayedName);
        Assert.Equal("invoker3/3/node-a", settings.OpenWhiskName);
        // OpenWhisk's container prefix wsk<uniqueName><id>: its leftovers are found on a swap.
        Assert.Equal("wsk33_", settings.ContainerPrefix);
        // OpenWhisk's default container factory.
        Assert.Equal(ContainerBackendKind.Docker, settings.Shared.Backend.Kind);
        Assert.Equal(ContainerBackendKind.Process, Parse(s_openWhisk, "--id", "3", "--containers", "process").Shared.Backend.Kind);
    }

    [Fact]
    public void WithIdAlone_ThePingHasNoNames_AsOpenWhisksHasNone()
    {
        ServeSettings settings = Parse(s_openWhisk, "--id", "0");

        Assert.Null(settings.InstanceId.UniqueName);
        Assert.Null(settings.InstanceId.DisplayedName);
        Assert.Equal("invoker0", settings.OpenWhiskName);
        Assert.Equal("wsk0_", settings.ContainerPrefix);
    }

    [Fact]
    public void APlainStart_KeepsTodaysNamesAndMemoryInMegabytes()
    {
        ServeSettings settings = Parse([], "--kafka", "k:1", "--instance", "2", "--user-memory", "1024");

        Assert.False(settings.OpenWhiskWay);
        Assert.Equal(
            """{"instance":2,"uniqueName":"invoker2","displayedName":"invoker2","userMemory":"1024 MB","instanceType":"invoker","tags":[],"dedicatedNamespaces":[]}""",
            JsonModel.ToJsonString(settings.InstanceId));
        Assert.Same(RuntimeManifest.Local, settings.Runtimes);
    }

    [Fact]
    public void UniqueNameWithoutId_IsRefused_ForItNeedsZooKeeper()
    {
        var e = Assert.Throws<StartupException>(() => Parse(s_openWhisk, "--uniqueName", "invoker-a"));

        Assert.Contains("--uniqueName without --id needs ZooKeeper", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheOpenWhiskWay_NeedsKafkaHostsAndTheManifest()
    {
        Assert.Equal("KAFKA_HOSTS (or --kafka) is required",
            Assert.Throws<StartupException>(() => Parse(new() { ["RUNTIMES_MANIFEST"] = Manifest }, "--id", "0")).Message);
        Assert.StartsWith("RUNTIMES_MANIFEST is required",
            Assert.Throws<StartupException>(() => Parse(new() { ["KAFKA_HOSTS"] = "k:1" }, "--id", "0")).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AFlag_WinsOverOpenWhisksVariable()
    {
        ServeSettings settings = Parse(With(new()
        {
            ["CONFIG_whisk_kafka_topics_prefix"] = "ow-",
            ["CONFIG_whisk_containerPool_userMemory"] = "4 g",
            ["PORT"] = "8080",
        }), "--id", "0", "--kafka", "flag:1", "--topic-prefix", "flag-", "--user-memory", "512", "--url", "http://127.0.0.1:0");

        Assert.Equal("flag:1", settings.Kafka);
        Assert.Equal("flag-", settings.TopicPrefix);
        Assert.Equal(512, settings.Shared.UserMemoryMegabytes);
        Assert.Equal("512 MB", settings.InstanceId.UserMemory.ToString());
        Assert.Equal("http://127.0.0.1:0", settings.Shared.Url);
    }

    [Fact]
    public void Port_ListensOnEveryInterface_WhenNoUrlIsGiven()
    {
        Assert.Equal("http://*:8080", Parse(With(new() { ["PORT"] = "8080" }), "--id", "0").Shared.Url);
        Assert.Equal("PORT must be a port number from 1 to 65535, got '0'",
            Assert.Throws<StartupException>(() => Parse(With(new() { ["PORT"] = "0" }), "--id", "0")).Message);
    }

    [Theory]
    [InlineData("2048m", 2048, "2147483648 B")]
    [InlineData("4 g", 4096, "4294967296 B")]
    [InlineData("512 MiB", 512, "536870912 B")]
    // Typesafe Config: two-letter units are powers of 1000.
    [InlineData("512 MB", 488, "512000000 B")]
    [InlineData("2147483648", 2048, "2147483648 B")]
    public void UserMemory_IsReadAsOpenWhiskReadsIt_AndThePingWritesItInBytes(string value, long megabytes, string ping)
    {
        ServeSettings settings = Parse(With(new() { ["CONFIG_whisk_containerPool_userMemory"] = value }), "--id", "0");

        Assert.Equal(megabytes, settings.Shared.UserMemoryMegabytes);
        Assert.Equal(ping, settings.InstanceId.UserMemory.ToString());
    }

    [Theory]
    [InlineData("lots", "must be a size like 2048m")]
    [InlineData("64m", "must be at least 128 MB")]
    public void AUserMemoryThatIsNotOne_NamesItsVariable(string value, string reason)
    {
        var e = Assert.Throws<StartupException>(() => Parse(With(new() { ["CONFIG_whisk_containerPool_userMemory"] = value }), "--id", "0"));

        Assert.StartsWith("CONFIG_whisk_containerPool_userMemory ", e.Message, StringComparison.Ordinal);
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheConcurrencyLimit_GivesTheRangeTheMaxAndThePeekWindow()
    {
        ServeSettings settings = Parse(With(new()
        {
            ["CONFIG_whisk_concurrencyLimit_min"] = "2",
            ["CONFIG_whisk_concurrencyLimit_max"] = "200",
            ["CONFIG_whisk_concurrencyLimit_std"] = "3",
        }), "--id", "0");

        Assert.Equal(new ConcurrencyRange(2, 200, 3), settings.Shared.Concurrency);
        Assert.Equal("CONFIG_whisk_concurrencyLimit_max must be a whole number of at least 1, got 'many'",
            Assert.Throws<StartupException>(() => Parse(With(new() { ["CONFIG_whisk_concurrencyLimit_max"] = "many" }), "--id", "0")).Message);
    }

    [Fact]
    public void TagsAndDedicatedNamespaces_AreThePingsArrays()
    {
        ServeSettings settings = Parse(With(new()
        {
            ["CONFIG_whisk_invoker_resource_tags"] = "gpu, fast",
            ["CONFIG_whisk_invoker_dedicated_namespaces"] = "team-a",
            ["CONFIG_whisk_containerPool_userMemory"] = "2048m",
        }), "--id", "0", "--uniqueName", "0");

        Assert.Equal(
            """{"instance":0,"uniqueName":"0","userMemory":"2147483648 B","instanceType":"invoker","tags":["gpu","fast"],"dedicatedNamespaces":["team-a"]}""",
            JsonModel.ToJsonString(settings.InstanceId));
    }

    [Fact]
    public void TheAdminCredentials_DefaultToOpenWhisks()
    {
        OpenWhiskSettings defaults = Parse(s_openWhisk, "--id", "0").OpenWhisk;
        OpenWhiskSettings set = Parse(With(new() { ["CONFIG_whisk_invoker_username"] = "u", ["CONFIG_whisk_invoker_password"] = "p" }), "--id", "0").OpenWhisk;

        Assert.Equal(("invoker.user", "invoker.pass"), (defaults.Username, defaults.Password));
        Assert.Equal(("u", "p"), (set.Username, set.Password));
        Assert.True(new BasicCredentials("u", "p").Accepts("Basic " + Convert.ToBase64String("u:p"u8.ToArray())));
        Assert.False(new BasicCredentials("u", "p").Accepts("Basic " + Convert.ToBase64String("u:q"u8.ToArray())));
        Assert.False(new BasicCredentials("u", "p").Accepts(null));
    }

    [Fact]
    public void UserEvents_AreOffByDefault_AndGoToThePrefixedEventsTopic()
    {
        OpenWhiskSettings off = Parse(s_openWhisk, "--id", "0").OpenWhisk;
        OpenWhiskSettings on = Parse(With(new() { ["CONFIG_whisk_userEvents_enabled"] = "true", ["CONFIG_whisk_kafka_topics_userEvent_prefix"] = "ue-" }), "--id", "0").OpenWhisk;

        Assert.False(off.UserEventsEnabled);
        Assert.Equal("", off.UserEventTopicPrefix);
        Assert.True(on.UserEventsEnabled);
        Assert.Equal("ue-", on.UserEventTopicPrefix);
        Assert.Equal("CONFIG_whisk_userEvents_enabled must be true or false, got 'maybe'",
            Assert.Throws<StartupException>(() => Parse(With(new() { ["CONFIG_whisk_userEvents_enabled"] = "maybe" }), "--id", "0")).Message);
    }

    [Fact]
    public void ThePayloadLimit_SetsTheLargestMessage_WithOpenWhisksOverhead()
    {
        Assert.Equal((2 * 1024 * 1024) + (6 * 1024), Parse(With(new() { ["CONFIG_whisk_activation_payload_max"] = "2m" }), "--id", "0").OpenWhisk.MaxMessageBytes);
        Assert.Equal(Perf.Invoker.Kafka.KafkaOptions.DefaultMaxMessageBytes, Parse(s_openWhisk, "--id", "0").OpenWhisk.MaxMessageBytes);
    }

    [Fact]
    public void CouchDb_IsNullWithoutAHost_AndComplete_WithOne()
    {
        Assert.Null(Parse(s_openWhisk, "--id", "0").CouchDb);

        ServeSettings settings = Parse(With(new()
        {
            ["CONFIG_whisk_couchdb_protocol"] = "http",
            ["CONFIG_whisk_couchdb_host"] = "couch.local",
            ["CONFIG_whisk_couchdb_port"] = "5984",
            ["CONFIG_whisk_couchdb_username"] = "whisk_admin",
            ["CONFIG_whisk_couchdb_password"] = "secret",
            ["CONFIG_whisk_couchdb_provider"] = "CouchDB",
            ["CONFIG_whisk_couchdb_databases_WhiskEntity"] = "local_whisks",
            ["CONFIG_whisk_couchdb_databases_WhiskActivation"] = "local_activations",
            ["CONFIG_whisk_couchdb_databases_WhiskAuth"] = "local_subjects",
        }), "--id", "0");

        Assert.NotNull(settings.CouchDb);
        Assert.Equal(new Uri("http://couch.local:5984"), settings.CouchDb.Server);
        Assert.Equal(("whisk_admin", "secret"), (settings.CouchDb.Username, settings.CouchDb.Password));
        Assert.Equal(("local_whisks", "local_activations", "local_subjects"), (settings.CouchDb.EntityDatabase, settings.CouchDb.ActivationDatabase, settings.CouchDb.SubjectsDatabase));
        Assert.Equal(["RUNTIMES_MANIFEST stemCells reactive (nodejs:20)"], settings.NotActedOn);
    }

    [Fact]
    public void ACouchDbHostWithoutItsCredentials_IsOneLineNamingWhatIsMissing()
    {
        var e = Assert.Throws<StartupException>(() => Parse(With(new() { ["CONFIG_whisk_couchdb_host"] = "couch", ["CONFIG_whisk_couchdb_protocol"] = "http" }), "--id", "0"));

        Assert.Equal("CONFIG_whisk_couchdb_host is set, so CONFIG_whisk_couchdb_port, CONFIG_whisk_couchdb_username, CONFIG_whisk_couchdb_password must be too", e.Message);
    }

    [Fact]
    public void TheStoreLevels_AreOpenWhisksNames()
    {
        ServeSettings settings = Parse(With(new()
        {
            ["CONFIG_whisk_activation_storeBlockingResultLevel"] = "STORE_FAILURES",
            ["CONFIG_whisk_activation_storeNonBlockingResultLevel"] = "STORE_FAILURES_NOT_APPLICATION_ERRORS",
        }), "--id", "0");

        Assert.Equal(ActivationStoreLevel.StoreFailures, settings.StoreBlockingResultLevel);
        Assert.Equal(ActivationStoreLevel.StoreFailuresNotApplicationErrors, settings.StoreNonBlockingResultLevel);
        Assert.Equal(ActivationStoreLevel.StoreAlways, Parse(s_openWhisk, "--id", "0").StoreBlockingResultLevel);
        Assert.Throws<StartupException>(() => Parse(With(new() { ["CONFIG_whisk_activation_storeBlockingResultLevel"] = "NEVER" }), "--id", "0"));
    }

    [Fact]
    public void TheContainerNetwork_IsTheDockerNetwork_BridgeOrHost()
    {
        Assert.Equal(DockerNetwork.Host, Parse(With(new() { ["CONFIG_whisk_containerFactory_containerArgs_network"] = "host" }), "--id", "0").Shared.Backend.DockerNetwork);
        Assert.Equal("CONFIG_whisk_containerFactory_containerArgs_network must be bridge or host, got 'overlay'",
            Assert.Throws<StartupException>(() => Parse(With(new() { ["CONFIG_whisk_containerFactory_containerArgs_network"] = "overlay" }), "--id", "0")).Message);
    }

    [Fact]
    public void TheApiHost_IsOpenWhisksProtoNamePort()
    {
        Assert.Equal("https://edge.example:443", Parse(With(new() { ["WHISK_API_HOST_NAME"] = "edge.example" }), "--id", "0").OpenWhisk.ApiHost);
        Assert.Equal("http://nginx:80", Parse(With(new() { ["WHISK_API_HOST_NAME"] = "nginx", ["WHISK_API_HOST_PROTO"] = "http", ["WHISK_API_HOST_PORT"] = "80" }), "--id", "0").OpenWhisk.ApiHost);
        Assert.Equal("", Parse(s_openWhisk, "--id", "0").OpenWhisk.ApiHost);
    }

    [Fact]
    public void TheManifest_GivesTheKindsImagesAndStemCells_WithTheRuntimesRegistry()
    {
        ServeSettings settings = Parse(With(new() { ["CONFIG_whisk_containerFactory_runtimesRegistry_url"] = "registry.local:5000" }), "--id", "0");
        var runtimes = new ActionRuntimes(settings.OpenWhisk.Runtimes, settings.OpenWhisk.RuntimesRegistry);

        Assert.Equal("registry.local:5000/openwhisk/action-nodejs-v20:nightly", runtimes.Images["nodejs:20"]);
        Assert.Equal([new Perf.Invoker.Pool.PrewarmConfig("nodejs:20", 256, 2)], runtimes.Prewarm);
        Assert.Equal("nodejs:20", settings.Runtimes.ResolveKind("nodejs:default"));
    }

    [Fact]
    public void WithoutAManifest_TheLocalRuntimeNamesNoImage_AndKeepsOpenWhisksStemCells()
    {
        Assert.Empty(ActionRuntimes.Local.Images);
        Assert.Equal([new Perf.Invoker.Pool.PrewarmConfig("nodejs:20", 256, 2)], ActionRuntimes.Local.Prewarm);
    }

    [Fact]
    public void WhatIsSetAndNotActedOn_IsNamedOnce()
    {
        ServeSettings settings = Parse(With(new()
        {
            ["JAVA_OPTS"] = "-Xmx2g",
            ["INVOKER_OPTS"] = "",
            ["CONFIG_kamon_statsd_hostname"] = "statsd",
            ["CONFIG_logback_log_level"] = "INFO",
            ["CONFIG_whisk_invoker_protocol"] = "http",
            ["CONFIG_whisk_containerPool_userMemory"] = "2048m",
        }), "--id", "0", "--overwriteId", "0");

        Assert.Equal(
            ["JAVA_OPTS", "CONFIG_kamon_statsd_hostname (kamon.statsd.hostname)", "CONFIG_logback_log_level (logback.log.level)",
             "CONFIG_whisk_invoker_protocol (whisk.invoker.protocol)", "--overwriteId (ZooKeeper's id assignment)",
             "RUNTIMES_MANIFEST stemCells reactive (nodejs:20)"],
            settings.NotActedOn);
    }

    private static Dictionary<string, string> With(Dictionary<string, string> more)
    {
        var all = new Dictionary<string, string>(s_openWhisk);
        foreach ((string name, string value) in more)
        {
            all[name] = value;
        }

        return all;
    }

    private static ServeSettings Parse(Dictionary<string, string> environment, params string[] args) =>
        ServeSettings.Parse(args, OpenWhiskEnvironment.From(environment));
}
