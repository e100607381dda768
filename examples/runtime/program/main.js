// Trains a linear regression in the page and exports it: `run_model` with name "line" predicts y for
// {"x": …} (or a list of them). The exported data are placeholders: get_placeholder, get_stats.
import { log, setPlaceholder } from 'pagebridge:runtime';
import { LinearRegression, makeData } from './regression.js';

export const training = makeData(200);

const regression = new LinearRegression();
const epochs = 400;
export const lossCurve = [];
for (let epoch = 0; epoch < epochs; epoch++) {
  lossCurve.push(regression.step(training, 0.1));
  if (epoch % 100 === 0) {
    log(`epoch ${epoch}: mean squared error ${lossCurve[epoch].toFixed(5)}`);
    setPlaceholder('progress', epoch / epochs); // readable with get_placeholder while training
  }
}
log(`trained: y = ${regression.slope.toFixed(3)} x + ${regression.intercept.toFixed(3)}`);

export const coefficients = { slope: regression.slope, intercept: regression.intercept };

/** The model: {"x": 1} → {"y": …}; a list of inputs → a list of outputs. */
export const line = {
  predict(input) {
    const one = ({ x }) => ({ y: regression.predict(Number(x)) });
    return Array.isArray(input) ? input.map(one) : one(input);
  },
};
