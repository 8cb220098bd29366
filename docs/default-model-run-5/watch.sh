#!/bin/bash
cd /tmp/mem
until grep -q 'step 1000: eval' D.train.log; do sleep 5; done
sleep 8   # the save after the eval
pkill -f runD.sh; pkill -f 'clara.dll train scp'
sleep 3
echo "[$(date -u +%H:%M:%S)] D stopped at 1000" >> after.log
exec ./after.sh D
