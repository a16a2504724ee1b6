namespace Perf.Invoker.Benchmarks.Store;

/// <summary>The wire samples of docs/openwhisk.md §2 and §4 (as in the tests' WireSamples): what the embedded feed and the invoker store.</summary>
internal static class BenchmarkPayloads
{
    public const string ActivationMessage =
        """{"transid":["tid_8f3c",1717171717171],"action":{"path":"guest","name":"hello","version":"0.0.1"},"revision":"3-6a8c","user":{"subject":"guest","namespace":{"name":"guest","uuid":"23bc46b1-71f6-4ed5-8c54-816aa4f8c502"},"authkey":{"api_key":"23bc46b1-71f6-4ed5-8c54-816aa4f8c502:123zO3xZCLrMN6v2BKK1dXYFpXlPkccOFqm12CdAsMgRU4VrNZ9lyGVCGuMDGIwP"},"rights":["READ","PUT","DELETE","ACTIVATE"],"limits":{}},"activationId":"c7bb1339cb4f40e3a6ccead6c99f804e","rootControllerIndex":{"asString":"0","instanceType":"controller"},"blocking":true,"content":{"name":"John"},"initArgs":[],"lockedArgs":{}}""";

    public const string ActivationRecord =
        """{"namespace":"guest","name":"hello","subject":"guest","activationId":"c7bb1339cb4f40e3a6ccead6c99f804e","start":1717171717200,"end":1717171717375,"response":{"statusCode":0,"result":{"payload":"Hello, John!"}},"logs":["2024-05-31T16:08:37.2Z stdout: hi"],"version":"0.0.1","publish":false,"annotations":[{"key":"limits","value":{"timeout":60000,"memory":256,"logs":10,"concurrency":10}},{"key":"path","value":"guest/hello"},{"key":"kind","value":"nodejs:20"},{"key":"timeout","value":false},{"key":"initTime","value":42},{"key":"waitTime","value":29}],"duration":175}""";
}
