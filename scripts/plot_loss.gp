# scripts/plot_loss.gp — draw the loss log of `rustgpt train --log FILE.csv`
# (columns: step,epoch,stage,lr,train_loss,val_loss,tokens_per_s) as a PNG.
# Run through `make plot LOG=FILE.csv [PNG=out.png]`, which sets `log` and `png`.
set datafile separator ","
set terminal pngcairo size 900,500 font ",11"
set output png
set title "rustgpt training loss"
set xlabel "step"
set ylabel "cross-entropy (nats per token)"
set logscale y
set grid
set key top right
# Only the series the log has: `make plot` passes haspre, hasrest and hasval
# (1 when the log has pretraining rows, rows of another stage, and
# validation losses), so that a log without, say, a validation column plots
# what it has without a warning about an empty series.
if (!exists("haspre")) haspre = 1
if (!exists("hasrest")) hasrest = 1
if (!exists("hasval")) hasval = 1
pre  = 'log using 1:(strcol(3) eq "pretrain" ? $5 : 1/0) skip 1 with lines lw 2 title "pretrain (train)"'
rest = 'log using 1:(strcol(3) ne "pretrain" ? $5 : 1/0) skip 1 with lines lw 2 title "chat / train (train)"'
val  = 'log using 1:($6 > 0 ? $6 : 1/0) skip 1 with points pt 7 ps 0.6 title "validation"'
series = ''
if (haspre) series = series . pre . ', '
if (hasrest) series = series . rest . ', '
if (hasval) series = series . val . ', '
series = series[1:strlen(series) - 2]
plot @series
