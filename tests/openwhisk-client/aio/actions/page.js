function main(params) {
  return { statusCode: 200, headers: { 'content-type': 'text/plain' }, body: `page ${params.__ow_method} ${params.colour}` };
}
