// piscina task: adds two numbers.
export default ({ a, b }) => a + b;
