namespace Perf.Invoker.Tests.Model;

/// <summary>The sample messages of docs/openwhisk.md §2–5 and §7, compact, in OpenWhisk's member order.</summary>
internal static class WireSamples
{
    public const string ActivationId = "c7bb1339cb4f40e3a6ccead6c99f804e";

    public const string ActivationMessage =
        """{"transid":["tid_8f3c",1717171717171],"action":{"path":"guest","name":"hello","version":"0.0.1"},"revision":"3-6a8c","user":{"subject":"guest","namespace":{"name":"guest","uuid":"23bc46b1-71f6-4ed5-8c54-816aa4f8c502"},"authkey":{"api_key":"23bc46b1-71f6-4ed5-8c54-816aa4f8c502:123zO3xZCLrMN6v2BKK1dXYFpXlPkccOFqm12CdAsMgRU4VrNZ9lyGVCGuMDGIwP"},"rights":["READ","PUT","DELETE","ACTIVATE"],"limits":{}},"activationId":"c7bb1339cb4f40e3a6ccead6c99f804e","rootControllerIndex":{"asString":"0","instanceType":"controller"},"blocking":true,"content":{"name":"John"},"initArgs":[],"lockedArgs":{}}""";

    /// <summary>Optional members present: binding, cause, traceContext, an extraLogging transid with a parent, array content.</summary>
    public const string ActivationMessageWithOptionals =
        """{"transid":["tid_9",1717171717172,true,["tid_8",1717171717170]],"action":{"path":"guest/pkg","name":"hello","version":"0.0.2","binding":"guest/bound"},"user":{"subject":"guest","namespace":{"name":"guest","uuid":"23bc46b1-71f6-4ed5-8c54-816aa4f8c502"},"authkey":{"api_key":"k:v"},"rights":["READ","ACTIVATE"],"limits":{"concurrentInvocations":10}},"activationId":"00000000000000000000000000000001","rootControllerIndex":{"asString":"1","instanceType":"controller"},"blocking":false,"content":[1,"two",{"three":3.0e0}],"cause":"ffffffffffffffffffffffffffffffff","traceContext":{"traceparent":"00-abc-01"}}""";

    public const string InvokerInstanceId =
        """{"instance":0,"uniqueName":"invoker-a","displayedName":"invoker0","userMemory":"2048 MB","instanceType":"invoker","tags":[],"dedicatedNamespaces":[]}""";

    public const string PingMessage = """{"name":""" + InvokerInstanceId + ""","isEnabled":true}""";

    public const string ActivationRecord =
        """{"namespace":"guest","name":"hello","subject":"guest","activationId":"c7bb1339cb4f40e3a6ccead6c99f804e","start":1717171717200,"end":1717171717375,"response":{"statusCode":0,"result":{"payload":"Hello, John!"}},"logs":["2024-05-31T16:08:37.2Z stdout: hi"],"version":"0.0.1","publish":false,"annotations":[{"key":"limits","value":{"timeout":60000,"memory":256,"logs":10,"concurrency":10}},{"key":"path","value":"guest/hello"},{"key":"kind","value":"nodejs:20"},{"key":"timeout","value":false},{"key":"initTime","value":42},{"key":"waitTime","value":29}],"duration":175}""";

    public const string Combined =
        """{"transid":["tid_8f3c",1717171717171],"response":""" + ActivationRecord + ""","isSystemError":false,"instance":""" + InvokerInstanceId + "}";

    public const string CombinedShrunk =
        """{"transid":["tid_8f3c",1717171717171],"response":"c7bb1339cb4f40e3a6ccead6c99f804e","isSystemError":true,"instance":""" + InvokerInstanceId + "}";

    public const string Completion =
        """{"transid":["tid_8f3c",1717171717171],"activationId":"c7bb1339cb4f40e3a6ccead6c99f804e","isSystemError":false,"instance":""" + InvokerInstanceId + "}";

    public const string Result = """{"transid":["tid_8f3c",1717171717171],"response":""" + ActivationRecord + "}";

    public const string Init =
        """{"value":{"name":"hello","main":"main","binary":false,"code":"function main(params) { return {payload: 'Hello, ' + params.name + '!'}; }","env":{"__OW_NAMESPACE":"guest","__OW_ACTION_NAME":"/guest/hello","__OW_API_KEY":"k:v"}}}""";

    public const string Run =
        """{"value":{"name":"John"},"namespace":"guest","action_name":"/guest/hello","action_version":"0.0.1","activation_id":"c7bb1339cb4f40e3a6ccead6c99f804e","transaction_id":"tid_8f3c","deadline":"1717171777171","api_key":"23bc46b1-71f6-4ed5-8c54-816aa4f8c502:123zO3xZCLrMN6v2BKK1dXYFpXlPkccOFqm12CdAsMgRU4VrNZ9lyGVCGuMDGIwP"}""";

    public const string Action =
        """{"exec":{"kind":"nodejs:20","code":"function main(){return {}}","main":"main"},"limits":{"concurrency":10,"memory":256,"timeout":60000,"logs":10},"parameters":[{"key":"k","value":"v"}],"annotations":[{"key":"max-concurrent","value":200}]}""";
}
