"""Fits a line to --data-dir's speeds.csv (under /data in the program) and leaves it as the model
"line": run_model predicts y for {"x": …}. Its module-level names are placeholders."""
import logging
import statistics

from speedPrediction2 import SpeedModel, load

training = load('/data/speeds.csv')
print(f'read {len(training)} rows')

line = SpeedModel(training)
logging.info('trained: y = %.3f x + %.3f', line.slope, line.intercept)

coefficients = {'slope': line.slope, 'intercept': line.intercept}
residuals = [r['y'] - line.predict(r)['y'] for r in training]
spread = statistics.pstdev(residuals)
