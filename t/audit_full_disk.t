#!/usr/bin/perl
# A short write on a full disk (issue 16) leaves no cut record: the whole
# records that fitted stay, the cut one is removed, the rest are counted
# in ticket_audit_dropped_total, and once there is room again the next
# record starts a line of its own (before the fix it was appended to the
# cut one, and an intact record was lost with it).  A real full file
# system: a 64 KiB tmpfs (the tests run as root).

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use TicketTest;
use JSON::PP;
use POSIX qw(ENOSPC);
use Time::HiRes qw(time sleep);

my $t = TicketTest->new;
my $d = $t->dir;
my $mnt = "$d/full";
mkdir $mnt or die "mkdir: $!";
my ($rc, $o, $e) = $t->run_cmd('mount', '-t', 'tmpfs', '-o', 'size=64k',
                               'tmpfs', $mnt);
is($rc, 0, 'a 64 KiB tmpfs mounted') or diag($o . $e);
END { system('umount', $mnt) if $mnt && -d $mnt; }

$t->write_file('hs.secret', "audit-full-disk-secret-0123456789abcdef\n");
$t->start(<<'EOF');
    ticket_audit_log %%DIR%%/full/audit.jsonl;
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

# fill the file system, then free exactly one page
open my $fh, '>', "$mnt/filler" or die "filler: $!";
my $block = "\0" x 4096;
while (syswrite($fh, $block)) { }
close $fh;
truncate "$mnt/filler", (-s "$mnt/filler") - 4096 or die "truncate: $!";

# twenty records (about 12 KiB, and more than 4 KiB of the shorter records
# before this round's members) flushed together: a write cut at 4 KiB
my $n = 0;
$n++ for grep { $t->get("/p/cut-$_")->{status} == 401 } 1 .. 20;
is($n, 20, 'twenty requests refused');
my $end = time + 10;
while (time < $end && metric('ticket_audit_dropped_total') <= 0) {
    sleep 0.05;
}
my $dropped = metric('ticket_audit_dropped_total');
my $written = metric('ticket_audit_records_total');
ok($dropped > 0 && $written > 0, "short write: $written written, "
   . "$dropped dropped");
is($dropped + $written, 20, 'every record either written or counted');

my $c = $t->read_file('full/audit.jsonl');
like($c, qr/\n\z/, 'the file ends with a whole line: the cut record is gone');

# room again: the next records on lines of their own
unlink "$mnt/filler" or die "unlink: $!";
$n = 0;
$n++ for grep { $t->get("/p/after-$_")->{status} == 401 } 1 .. 3;
$end = time + 10;
while (time < $end && metric('ticket_audit_records_total') < $written + 3) {
    sleep 0.05;
}
$t->stop;

$c = $t->read_file('full/audit.jsonl');
my @lines = split /\n/, $c;
my $json = JSON::PP->new;
my @bad = grep { !eval { $json->decode($_); 1 } } @lines;
ok(!@bad, 'every line is one whole record') or diag(join "\n", @bad);
is(scalar(@lines), $written + 3, 'the lines are the records counted written');
# decoded, not matched: a record glued onto a cut one is not there
is(scalar(grep { my $r = eval { $json->decode($_) };
                 $r && ($r->{uri} // '') =~ m{^/p/after-\d$} } @lines), 3,
   'the records after the full disk are all there, each whole');
# 4096 of them when the twenty go in one flush; a slow machine may flush
# the first few alone (written whole) and cut the next flush elsewhere
like($t->error_log, qr/\[crit\].*was incomplete: \d+ of \d+ bytes, \d+ records dropped/,
     'the short write logged, with the records dropped');

$t->done;
done_testing();
