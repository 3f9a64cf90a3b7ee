package AuditSchema;

# The check t/audit_formats.t makes of an ECS or OCSF document, for the
# tests that came after it: every field written exists in the schema's own
# field list (t/fixtures/schemas/, taken from elastic/ecs and
# ocsf/ocsf-schema) with a compatible JSON type, and no object is written
# where the schema has a keyword.  ticket.* (ECS) and unmapped.* (OCSF)
# are the formats' places for what the schema has no field for.

use strict;
use warnings;
use B ();
use FindBin;
use JSON::PP ();
use Exporter 'import';

our @EXPORT_OK = qw(ecs_problems ocsf_problems ecs_type);

sub fields {
    my ($file) = @_;
    my %f;
    open my $fh, '<', "$FindBin::Bin/fixtures/schemas/$file"
        or die "$file: $!\n";
    while (<$fh>) {
        chomp;
        next if /^#/ || !/\S/;
        my ($p, $type) = split /\t/;
        $f{$p} = $type;
    }
    return \%f;
}

my $ECS = fields('ecs-8.fields');
my $OCSF = fields('ocsf-1.fields');

# the type ECS gives a field (a dotted path), undef for none
sub ecs_type { $ECS->{$_[0]} }

# leaves of a document: [path, JSON type], arrays as their elements' type
sub leaves {
    my ($v, $path, $out) = @_;
    if (ref $v eq 'HASH') {
        push @$out, [$path, 'object'] if $path ne '';
        leaves($v->{$_}, $path eq '' ? $_ : "$path.$_", $out) for keys %$v;
    } elsif (ref $v eq 'ARRAY') {
        my %t = map { (ref $_ ? 'array-of-' . ref($_) : 'string') => 1 } @$v;
        push @$out, [$path, @$v ? join(',', keys %t) : 'string'];
    } elsif (!defined $v) {
        push @$out, [$path, 'null'];
    } elsif (JSON::PP::is_bool($v)) {
        push @$out, [$path, 'boolean'];
    } elsif (!(B::svref_2object(\$v)->FLAGS & B::SVf_POK())
             && $v =~ /^-?\d+$/) {
        push @$out, [$path, 'integer'];     # a JSON number, not a string
    } else {
        push @$out, [$path, 'string'];
    }
    return $out;
}

my %ECS_OK = (keyword => [qw(string null)], wildcard => [qw(string null)],
              match_only_text => [qw(string null)], date => [qw(string)],
              ip => [qw(string)], long => [qw(integer)],
              object => [qw(object)]);
my %OCSF_OK = (string_t => [qw(string null)], username_t => [qw(string null)],
               hostname_t => [qw(string null)], url_t => [qw(string)],
               ip_t => [qw(string)], integer_t => [qw(integer)],
               long_t => [qw(integer)], timestamp_t => [qw(integer)],
               port_t => [qw(integer)], boolean_t => [qw(boolean)],
               object => [qw(object)]);

# what is wrong with an ECS document, one line a field (none: it is ECS's)
sub ecs_problems {
    my ($doc) = @_;
    my @bad;
    for my $l (@{leaves($doc, '', [])}) {
        my ($p, $jt) = @$l;
        next if $p eq 'ticket' || $p =~ /^ticket\./;
        my $type = $ECS->{$p};
        if (!defined $type) { push @bad, "$p: not an ECS field"; next }
        push @bad, "$p: $jt where ECS maps $type"
            unless grep { $_ eq $jt } @{$ECS_OK{$type} // []};
    }
    push @bad, 'ticket: an ECS field set' if exists $ECS->{ticket};
    return @bad;
}

# the same for OCSF: attributes of the document's class (3002 or 6003)
sub ocsf_problems {
    my ($doc) = @_;
    my $auth = ($doc->{class_uid} // 0) == 3002;
    my @bad;
    for my $l (@{leaves($doc, '', [])}) {
        my ($p, $jt) = @$l;
        next if $p =~ /^unmapped\./;
        my $type = $OCSF->{$p} // $OCSF->{($auth ? '*' : '+') . $p};
        if (!defined $type) { push @bad, "$p: not an attribute"; next }
        push @bad, "$p: $jt where OCSF has $type"
            unless grep { $_ eq $jt } @{$OCSF_OK{$type} // []};
    }
    return @bad;
}

1;
