// A tiny linear regression, trained by gradient descent on mean squared error.

/** `n` points on y = 1.5 x + 0.3 with a little noise (a fixed seed: the same data every run). */
export function makeData(n) {
  let seed = 7;
  const random = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
  return Array.from({ length: n }, () => {
    const x = random() * 2;
    return { x, y: 1.5 * x + 0.3 + (random() - 0.5) * 0.2 };
  });
}

export class LinearRegression {
  slope = 0;
  intercept = 0;

  /** One step of gradient descent over all rows; returns the mean squared error before it. */
  step(rows, learningRate) {
    let loss = 0, dSlope = 0, dIntercept = 0;
    for (const { x, y } of rows) {
      const error = this.slope * x + this.intercept - y;
      loss += error * error;
      dSlope += 2 * error * x;
      dIntercept += 2 * error;
    }
    this.slope -= (learningRate * dSlope) / rows.length;
    this.intercept -= (learningRate * dIntercept) / rows.length;
    return loss / rows.length;
  }

  predict(x) {
    return this.slope * x + this.intercept;
  }
}
