'use strict';
// The handlers of serverless.yml; each answers something the flow can recognise as its own.
exports.hello = params => ({ greeting: `hello ${params.name}` });
exports.shout = params => ({ greeting: String(params.greeting).toUpperCase() });
exports.inpkg = params => ({ colour: params.colour, own: params.own });
exports.page = params => ({ headers: { 'content-type': 'text/html' }, body: `<p>hi ${params.name}</p>` });
exports.api = params => ({ api: params.__ow_method, name: params.name });
exports.fired = params => {
  console.log(`fired by ${params.source}`);
  return { firedBy: params.source };
};
// The plugin hands the alarm its params as a JSON string (trigger_payload), which OpenWhisk's alarms package fires as
// {payload: "<that string>"}.
exports.tick = params => ({ tickBy: params.source, payload: params.payload });
