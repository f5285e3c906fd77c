// Median of a list of numbers (the mean of the two middle ones for an even
// count); shared by the browser benchmarks in the page and in Node.
export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
