using Perf.Invoker.Host.Serve;

namespace Perf.Invoker.Tests.Serve;

/// <summary>OpenWhisk's CONFIG_ rule (docs/cluster.md, "Starting the invoker the OpenWhisk way") and the naming of what is not read.</summary>
[Trait("Category", "Unit")]
public sealed class OpenWhiskEnvironmentTests
{
    [Theory]
    [InlineData("CONFIG_whisk_containerPool_userMemory", "whisk.container-pool.user-memory")]
    [InlineData("CONFIG_whisk_couchdb_databases_WhiskAuth", "whisk.couchdb.databases.WhiskAuth")]
    [InlineData("CONFIG_whisk_spi_InvokerProvider", "whisk.spi.InvokerProvider")]
    [InlineData("CONFIG_whisk_containerFactory_containerArgs_dnsServers_0", "whisk.container-factory.container-args.dns-servers.0")]
    [InlineData("CONFIG_logback_log_level", "logback.log.level")]
    [InlineData("CONFIG_whisk_userEvents_enabled", "whisk.user-events.enabled")]
    [InlineData("CONFIG_whisk_kafka_topics_userEvent_prefix", "whisk.kafka.topics.user-event.prefix")]
    [InlineData("CONFIG_whisk_kafka_common_sslTruststoreLocation", "whisk.kafka.common.ssl-truststore-location")]
    [InlineData("CONFIG_whisk_loadbalancer_invokerBusyThreshold", "whisk.loadbalancer.invoker-busy-threshold")]
    public void AConfigVariable_BecomesTheKeyOfOpenWhisksRule(string variable, string key) =>
        Assert.Equal(key, OpenWhiskEnvironment.ConfigKey(variable));

    [Theory]
    // sed's s/([a-z0-9])([A-Z])/\1-\L\2/g: matches do not overlap, so a second capital in a row stays.
    [InlineData("CONFIG_a_aBC", "a.a-bC")]
    [InlineData("CONFIG_a_v2Beta", "a.v2-beta")]
    // The shell's word splitting drops empty parts.
    [InlineData("CONFIG_whisk__kafka_", "whisk.kafka")]
    public void TheRule_KeepsSedsAndTheShellsEdges(string variable, string key) =>
        Assert.Equal(key, OpenWhiskEnvironment.ConfigKey(variable));

    [Fact]
    public void EmptyValues_AreDropped_AndADollarValueStandsForThatVariable()
    {
        OpenWhiskEnvironment environment = OpenWhiskEnvironment.From(new Dictionary<string, string>
        {
            ["CONFIG_whisk_kafka_topics_prefix"] = "",
            ["CONFIG_whisk_invoker_username"] = "$ADMIN_USER",
            ["ADMIN_USER"] = "ops",
            ["CONFIG_whisk_invoker_password"] = "$UNSET",
        });

        Assert.Null(environment.Config("whisk.kafka.topics.prefix"));
        Assert.Equal("ops", environment.Config("whisk.invoker.username"));
        // transformEnvironment.sh keeps the literal when the variable referred to is empty or unset.
        Assert.Equal("$UNSET", environment.Config("whisk.invoker.password"));
    }

    [Fact]
    public void WhatIsNotRead_IsNamedOnce_WithItsKey()
    {
        OpenWhiskEnvironment environment = OpenWhiskEnvironment.From(new Dictionary<string, string>
        {
            ["JAVA_OPTS"] = "-Xmx2g",
            ["ZOOKEEPER_HOSTS"] = "zk:2181",
            ["TZ"] = "",
            ["CONFIG_kamon_statsd_port"] = "8125",
            ["CONFIG_whisk_kafka_topics_prefix"] = "p-",
            ["HOME"] = "/root",
        });

        _ = environment.Config("whisk.kafka.topics.prefix");

        Assert.Equal(["JAVA_OPTS", "ZOOKEEPER_HOSTS", "CONFIG_kamon_statsd_port (kamon.statsd.port)"], environment.Unread());
    }
}
