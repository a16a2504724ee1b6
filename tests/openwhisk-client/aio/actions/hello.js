function main(params) {
  console.log(`hello run by ${params.source || 'invoke'}`);
  return { greeting: `hello ${params.name}`, colour: params.colour, source: params.source };
}
