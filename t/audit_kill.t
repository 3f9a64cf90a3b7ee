#!/usr/bin/perl
# A worker killed with SIGKILL takes up to a second of buffered audit
# records with it (issue 16): they are counted in
# ticket_audit_dropped_total and logged by the worker that replaces it,
# and `ticketctl audit --check` names them as the killed writer's gap
# once the writer's later records... (none: a killed writer writes no
# more; the count and the log line are what says it).

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use TicketTest;
use Time::HiRes qw(time sleep);

my $t = TicketTest->new;
my $d = $t->dir;
$t->write_file('hs.secret', "audit-kill-secret-0123456789abcdef\n");

$t->start(<<'EOF');
    ticket_audit_log %%DIR%%/logs/audit.jsonl;
    server {
        listen 127.0.0.1:%%PORT%%;
        location /p/ {
            ticket user;
            ticket_key hs1 HS256 %%DIR%%/hs.secret;
        }
        location = /status {
            ticket_status;
        }
    }
EOF

sub metric {
    my ($name) = @_;
    my ($v) = $t->get('/status')->{body} =~ /^$name (\d+)$/m;
    return $v // -1;
}

# one record on disk first: the flush timer has run once
$t->get('/p/first');
my $end = time + 10;
while (time < $end && metric('ticket_audit_records_total') < 1) {
    sleep 0.05;
}
is(metric('ticket_audit_records_total'), 1, 'first record written');

# five more, buffered (flushed within a second: kill at once)
my ($worker) = $t->worker_pids;
my $n = 0;
$n++ for grep { $t->get("/p/lost-$_")->{status} == 401 } 1 .. 5;
kill 'KILL', $worker;
is($n, 5, 'five refused, then the worker killed');
$t->expect_log(qr/worker process $worker exited on [s]ignal 9/);

$end = time + 10;
while (time < $end && !grep { $_ != $worker } $t->worker_pids) {
    sleep 0.05;
}
$end = time + 10;
while (time < $end && metric('ticket_audit_dropped_total') <= 0) {
    sleep 0.05;
}
my $dropped = metric('ticket_audit_dropped_total');
my $written = metric('ticket_audit_records_total');

# the kill may have come after a flush: what was on disk is not lost
my $lines = () = $t->read_file('logs/audit.jsonl') =~ /\n/g;
is($dropped + $lines, 6, "every record written ($lines) or counted "
   . "dropped ($dropped)");
ok($dropped > 0, 'records lost with the killed worker are counted');
$t->stop;
like($t->error_log, qr/\[crit\].*ticket audit: worker process $worker exited with $dropped records not written, dropped/,
     'logged by the worker that replaced it') if $dropped > 0;

$t->done;
done_testing();
