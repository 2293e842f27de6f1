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
# stage boundaries: a vertical line where the stage name changes
plot log using 1:(strcol(3) eq "pretrain" ? $5 : 1/0) skip 1 with lines lw 2 title "pretrain (train)", \
     log using 1:(strcol(3) ne "pretrain" ? $5 : 1/0) skip 1 with lines lw 2 title "chat / train (train)", \
     log using 1:($6 > 0 ? $6 : 1/0) skip 1 with points pt 7 ps 0.6 title "validation"
