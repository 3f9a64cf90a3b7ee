#!/usr/bin/perl
# The audit trail is provably complete (issue 18): every record names its
# gateway, its writer (one worker process) and a seq that grows by one;
# over two workers, a reload, a USR1 reopen and a real `logrotate -f`
# with the shipped rule, `ticketctl audit --check` says "complete" and
# the records are exactly the requests.  The file is 0640, group adm.
# Issue 16: a deleted audit file's records are counted as dropped, and
# under `satisfy any` a refusal that `allow` overrode says so.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use TicketTest;
use JSON::PP;
use Time::HiRes qw(time sleep);

my $t = TicketTest->new;
my $d = $t->dir;
my $secret = 'audit-seq-hmac-secret-0123456789abcdef';
$t->write_file('hs.secret', "$secret\n");
mkdir "$d/html";
mkdir "$d/html/any";
$t->write_file('html/any/x', "in\n");

my $http = <<'EOF';
    ticket_audit_log %%DIR%%/logs/audit.jsonl;
    ticket_audit_gateway gw-seq;
    server {
        listen 127.0.0.1:%%PORT%% reuseport;
        location /p/ {
            ticket user;
            ticket_key hs1 HS256 %%DIR%%/hs.secret;
        }
        location /any/ {
            satisfy any;
            allow 127.0.0.1;
            deny all;
            ticket user;
            ticket_key hs1 HS256 %%DIR%%/hs.secret;
            root %%DIR%%/html;
        }
        location = /status {
            ticket_status;
        }
    }
EOF
$t->start($http, workers => 2);

my $sent = 0;
sub batch {
    my ($tag, $n) = @_;
    my $ok = 0;
    for my $i (1 .. $n) {
        $ok++ if $t->get("/p/$tag-$i")->{status} == 401;
        $sent++;
    }
    return $ok;
}

sub lines_in {
    my $s = 0;
    for my $f (@_) {
        open my $fh, '<', $f or next;
        my $c = () = do { local $/; <$fh> } =~ /\n/g;
        $s += $c;
    }
    return $s;
}

sub wait_records {
    my ($n, @files) = @_;
    my $end = time + 10;
    while (time < $end) {
        return 1 if lines_in(@files) >= $n;
        sleep 0.05;
    }
    return 0;
}

my @st = stat "$d/logs/audit.jsonl";
is(sprintf('%o', $st[2] & 07777), '640', 'audit file created 0640');
my $adm = getgrnam('adm');
ok(defined $adm && $st[5] == $adm, 'audit file: group adm');

is(batch('a', 40), 40, '40 refused over 2 workers');

ok($t->reload, 'reload: new workers');
is(batch('b', 40), 40, '40 refused after the reload');
ok(wait_records($sent, "$d/logs/audit.jsonl"), 'all on disk');

# USR1 reopen after a rename, as an operator would
rename "$d/logs/audit.jsonl", "$d/logs/audit.jsonl.r" or die "rename: $!";
my $before = $t->reopened;
kill 'USR1', $t->{pid};
# the master makes the file before the workers reopen: wait for both
# workers, or every record of the batch may go to the renamed file
$t->wait_reopened($before, 3);
ok(-e "$d/logs/audit.jsonl", 'usr1: a new file');
is(batch('c', 30), 30, '30 refused after the reopen');

# logrotate -f with the rule the package ships, path and signal adapted
my $rule = $t->read_file("$FindBin::Bin/../debian/"
                         . 'libnginx-mod-http-ticket.logrotate');
$rule =~ s{/var/log/nginx/\*\.jsonl}{$d/logs/audit.jsonl};
$rule =~ s{invoke-rc\.d nginx rotate[^\n]*}{kill -USR1 $t->{pid}};
$rule =~ s{create 0640 www-data adm}{create 0640 root adm\n\tsu root root};
$t->write_file('logrotate.conf', $rule);
is(batch('d', 30), 30, '30 refused before logrotate');
# notifempty: the file must hold something; the rest may still be
# buffered in the workers, which write it to the old file at the reopen
ok(wait_records(1, "$d/logs/audit.jsonl"), 'a record on disk to rotate');
my $reopened = $t->reopened;
my ($rc, $o, $e) = $t->run_cmd((grep { -x } '/usr/sbin/logrotate', '/sbin/logrotate')[0] // 'logrotate', '-v', '-f', '-s', "$d/logrotate.state",
                               "$d/logrotate.conf");
is($rc, 0, 'logrotate -f ran') or diag($o . $e);
ok(-e "$d/logs/audit.jsonl.1", 'logrotate: the old file rotated')
    or diag($o . $e);
$t->wait_reopened($reopened, 3);           # the master and 2 workers
is(batch('e', 30), 30, '30 refused after logrotate');

my @files = map { "$d/logs/$_" } qw(audit.jsonl.r audit.jsonl.1 audit.jsonl);

# satisfy any: the ticket refused, allow admitted
my $r = $t->get('/any/x');
is($r->{status}, 200, 'satisfy any: admitted by allow');
$sent++;

ok(wait_records($sent, @files), 'every record on disk');
$t->stop;

my $json = JSON::PP->new;
my (%writers, %uris, $any);
for my $f (@files) {
    open my $fh, '<', $f or next;
    while (my $l = <$fh>) {
        my $rec = eval { $json->decode($l) } or next;
        $writers{$rec->{writer}}++;
        $uris{$rec->{uri}}++;
        $any = $rec if $rec->{uri} eq '/any/x';
    }
}
is(scalar(keys %uris), $sent, "every request has its record ($sent)");
ok(!grep({ $_ != 1 } values %uris), 'and only one');
ok(keys %writers >= 3, 'records from more than one writer: '
   . join(', ', map { "$_=$writers{$_}" } sort keys %writers));
ok(!grep({ !/^gw-seq-\d+-\d+$/ } keys %writers), 'writers: gateway-pid-start');

($rc, $o) = $t->ticketctl('audit', '--check', @files);
is($rc, 0, '--check: exit 0') or diag($o);
like($o, qr/^complete: $sent records, \d+ writers$/m, '--check: complete');

# one record taken away is a gap, named
my ($w1) = sort keys %writers;
my @keep = grep { !/"writer":"\Q$w1\E","seq":2\}/ }
           map { $t->read_file($_) =~ /[^\n]*\n/g } @files;
$t->write_file('gap.jsonl', join '', @keep);
($rc, $o) = $t->ticketctl('audit', '--check', "$d/gap.jsonl");
is($rc, 1, '--check with a record missing: exit 1');
like($o, qr/^writer \Q$w1\E: seq 2 missing$/m, '--check names the gap');

ok($any && $any->{event} eq 'denied' && $any->{status} == 200
   && !$any->{enforced}, 'satisfy any: recorded as not enforced, status 200')
    or diag($json->encode($any // {}));

$t->done;

# ---- a deleted audit file: its records are counted as lost --------------

my $t2 = TicketTest->new;
my $d2 = $t2->dir;
$t2->write_file('hs.secret', "$secret\n");
$t2->start($http);
$t2->get("/p/first");
ok(wait_records(1, "$d2/logs/audit.jsonl"), 'deleted: first record written');
unlink "$d2/logs/audit.jsonl" or die "unlink: $!";
# (one flush or two: the count is the metric's, the line logged once)
$t2->get("/p/lost-$_") for 1 .. 5;
my $dropped = 0;
my $end = time + 10;
while (time < $end) {
    ($dropped) = $t2->get('/status')->{body}
                 =~ /^ticket_audit_dropped_total (\d+)/m;
    last if ($dropped // 0) >= 5;
    sleep 0.05;
}
is($dropped, 5, 'deleted: 5 records counted in ticket_audit_dropped_total');
$t2->stop;
like($t2->error_log,
     qr/\[crit\].*ticket audit: "[^"]*audit\.jsonl" was deleted, \d+ records lost/,
     'deleted: logged at crit');
$t2->done;

done_testing();
